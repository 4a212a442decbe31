// A private containerd for interop tests and benchmarks: temp config, root,
// state and socket under /tmp, stopped by its PID. Never the system one.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Result } from './tsctr.js';

export interface Containerd {
  address: string;
  dir: string;
  /** The daemon's PID (benchmarks read its CPU time from /proc). */
  pid?: number;
  ctr(args: string[], timeout?: number): Promise<Result>;
  stop(): Promise<void>;
}

/** Our own containerd: temp config, root, state and socket; stopped by its PID. Never the system one. */
export async function startContainerd(extraConfig: string[] = []): Promise<Containerd> {
  const dir = mkdtempSync('/tmp/tsctr-containerd-');
  const address = join(dir, 'containerd.sock');
  writeFileSync(join(dir, 'config.toml'), [
    'version = 2',
    `root = "${dir}/root"`,
    `state = "${dir}/state"`,
    'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
    '[grpc]', `  address = "${address}"`,
    '[ttrpc]', `  address = "${address}.ttrpc"`,
    '[debug]', '  address = ""',
    '[metrics]', '  address = ""',
    ...extraConfig.map((l) => l.replaceAll('$DIR', dir)),
  ].join('\n') + '\n');
  const child: ChildProcess = spawn('containerd', ['--config', join(dir, 'config.toml')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (d: Buffer) => { log = (log + d).slice(-32768); });
  child.stderr!.on('data', (d: Buffer) => { log = (log + d).slice(-32768); });
  const deadline = Date.now() + 20_000;
  while (!existsSync(address)) {
    if (child.exitCode !== null) throw new Error(`containerd exited ${child.exitCode}: ${log}`);
    if (Date.now() > deadline) throw new Error(`containerd did not create ${address}: ${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const ctr = (args: string[], timeout = 120_000): Promise<Result> => new Promise((resolve) => {
    const p = spawn('ctr', ['--address', address, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout!.on('data', (d: Buffer) => { stdout += d; });
    p.stderr!.on('data', (d: Buffer) => { stderr += d; });
    const t = setTimeout(() => p.kill('SIGKILL'), timeout);
    p.on('close', (code, signal) => { clearTimeout(t); resolve({ code, signal, stdout, stderr }); });
  });
  return {
    address,
    dir,
    pid: child.pid,
    ctr,
    async stop() {
      if (child.exitCode === null && child.pid) {
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        process.kill(child.pid, 'SIGTERM');
        const t = setTimeout(() => { try { process.kill(child.pid!, 'SIGKILL'); } catch { /* gone */ } }, 5000);
        await exited;
        clearTimeout(t);
      }
      // containerd may leave snapshot mounts below its root.
      const mounts = spawnSync('sh', ['-c', `grep ' ${dir}' /proc/self/mountinfo | cut -d' ' -f5 | sort -r`], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
      for (const m of mounts) spawnSync('umount', ['-l', m]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
