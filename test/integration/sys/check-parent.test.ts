// check_parent (opcode 35): after PR_SET_PDEATHSIG the child makes sure the
// launcher is still its parent; had it died before the prctl, no signal would
// come. Here a launcher process starts a child and exits at once; the child
// is held on a fifo until the launcher is gone, then runs check_parent and
// (if it were allowed to go on) writes a marker. No namespaces: no root.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, readSync, closeSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = join(dirname(fileURLToPath(import.meta.url)), '../../..'); // dist/
let tmp = '';
test.before(() => { tmp = mkdtempSync(join(tmpdir(), 'tsctr-resolve-ppid-')); });
test.after(() => rmSync(tmp, { recursive: true, force: true }));

/** Starts the child from a short-lived launcher; returns the child's pid once the launcher has exited. */
function launchAndDie(check: boolean, fifo: string, marker: string): number {
  const script = join(tmp, `launcher-${check}.mjs`);
  const pidFile = join(tmp, `pid-${check}`);
  writeFileSync(script, `
    import { writeFileSync, writeSync } from 'node:fs';
    const { loadSys } = await import(${JSON.stringify(join(dist, 'src/sys/index.js'))});
    const { encodePlan } = await import(${JSON.stringify(join(dist, 'src/oci/launch-plan.js'))});
    const sys = await loadSys();
    const ops = [
      { op: 'write_file', path: ${JSON.stringify(fifo)}, data: 'x' },   // blocks until the test reads the fifo
      ${check ? "{ op: 'check_parent' }," : ''}
      { op: 'write_file', path: ${JSON.stringify(marker)}, data: 'alive' },
    ];
    const c = sys.spawn(encodePlan(ops), 0, -1);
    writeSync(c.syncFd, 'g');
    writeFileSync(${JSON.stringify(pidFile)}, String(c.pid));
    process.exit(0); // the launcher dies while the child waits
  `);
  // stdio ignored: the child inherits it, and must not hold a pipe we wait on.
  const r = spawnSync(process.execPath, [script], { stdio: 'ignore', timeout: 30_000 });
  assert.is(r.status, 0, 'the launcher failed');
  return Number(readFileSync(pidFile, 'utf8'));
}

function gone(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.startsWith('Z');
  } catch {
    return true;
  }
}

async function runCase(check: boolean): Promise<string> {
  const fifo = join(tmp, `fifo-${check}`);
  const marker = join(tmp, `marker-${check}`);
  execFileSync('mkfifo', [fifo]);
  writeFileSync(marker, '');
  const pid = launchAndDie(check, fifo, marker);
  assert.ok(pid > 0);
  // Release the child: it has been reparented by now.
  const fd = openSync(fifo, 'r');
  const b = Buffer.alloc(8);
  readSync(fd, b, 0, 8, null);
  closeSync(fd);
  for (let i = 0; i < 400 && !gone(pid); i++) await new Promise((r) => setTimeout(r, 25));
  assert.ok(gone(pid), 'the child did not finish');
  return existsSync(marker) ? readFileSync(marker, 'utf8') : '';
}

test('without check_parent an orphaned child goes on with its plan', async () => {
  assert.is(await runCase(false), 'alive');
});

test('with check_parent an orphaned child stops before the next op', async () => {
  assert.is(await runCase(true), '');
});

test.run();
