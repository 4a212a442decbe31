// Runs the tsctr CLI as a user would, against a throw-away --root/--state.
import { spawn, spawnSync, type SpawnOptions } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '../../..');
export const BIN = join(REPO, 'bin/tsctr');
export const FIXTURE_IMAGE = join(REPO, 'fixtures/build/busybox.oci.tar');
export const FIXTURE_REF = 'docker.io/library/busybox:latest';

export interface Result { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

export class Env {
  readonly root: string;
  readonly state: string;
  constructor(readonly name: string) {
    this.root = mkdtempSync(`/tmp/tsctr-${name}-root-`);
    this.state = mkdtempSync(`/tmp/tsctr-${name}-state-`);
  }
  args(a: string[]): string[] {
    return [BIN, '--root', this.root, '--state', this.state, ...a];
  }
  run(a: string[], opts: { input?: string; timeout?: number; env?: NodeJS.ProcessEnv } = {}): Result {
    const r = spawnSync(process.execPath, this.args(a), { input: opts.input ?? '', encoding: 'utf8', timeout: opts.timeout ?? 60_000, env: opts.env ?? process.env });
    return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
  }
  spawn(a: string[], opts: SpawnOptions = {}) {
    return spawn(process.execPath, this.args(a), opts);
  }
  /** Builds (once) and imports the fixture busybox image. */
  importFixture(): void {
    if (!existsSync(FIXTURE_IMAGE)) {
      const b = spawnSync(process.execPath, [join(REPO, 'fixtures/make-busybox-image.js')], { encoding: 'utf8' });
      if (b.status !== 0) throw new Error(`building the fixture image failed: ${b.stderr}`);
    }
    const r = this.run(['images', 'import', FIXTURE_IMAGE]);
    if (r.code !== 0) throw new Error(`images import failed: ${r.stderr}`);
  }
  cleanup(): void {
    // Through tsctr first: `containers ls` cleans the leftovers of a CLI a test
    // killed (rootfs mount, cgroup), and `rm --force` stops anything still running.
    this.run(['containers', 'ls']);
    for (const id of this.run(['containers', 'ls', '-q']).stdout.split('\n').filter(Boolean)) this.run(['containers', 'rm', '--force', id]);
    // Anything still mounted below our dirs is ours: detach it before removing.
    const mounts = spawnSync('sh', ['-c', `grep -E ' (${this.root}|${this.state})[^ ]* ' /proc/self/mountinfo | cut -d' ' -f5 | sort -r`], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
    for (const m of mounts) spawnSync('umount', ['-l', m]);
    rmSync(this.root, { recursive: true, force: true });
    rmSync(this.state, { recursive: true, force: true });
  }
}
