// The monitor's frame parser against hostile clients (native/monitor-clients.c):
// garbage, huge or malformed frames, a stalled half frame, more clients than
// it keeps, and a client that never reads while the task floods its output.
// None may crash or hang the monitor: a real attach still works afterwards.
// Also the monitor's memory (PSS), next to a `sleep` of the same machine.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { FRAME, FrameDecoder } from '../../../src/container/attach-protocol.js';
import { rootTest } from '../../helpers/root.js';
import { alive, ready, TaskSuite } from '../../helpers/tasks.js';
import { FIXTURE_REF } from '../../helpers/tsctr.js';

const suite = new TaskSuite(test, 'attach-mal', ['attach-mal1']);
const { env } = suite;
const open: Socket[] = [];
suite.onCleanup(() => { for (const c of open) c.destroy(); });

const state = () => suite.monitored('attach-mal1');
const pssKiB = (pid: number) => Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))![1]);

/** A raw client: what it received, and a promise for its close. */
function rawClient(path: string) {
  const c = connect(path);
  open.push(c);
  const r = { sock: c, bytes: Buffer.alloc(0), closed: new Promise<void>((res) => c.on('close', () => res())) };
  c.on('data', (d: Buffer) => { r.bytes = Buffer.concat([r.bytes, d]); });
  c.on('error', () => {});
  return r;
}
const header = (type: number, len: number, reserved = 0) => { const h = Buffer.alloc(8); h[0] = type; h[2] = reserved; h.writeUInt32LE(len >>> 0, 4); return h; };

rootTest(test, 'garbage, huge and malformed frames, a stalled half frame, too many clients and a client that never reads: the monitor serves on', async () => {
  const sleeper = spawn('sleep', ['60']);
  suite.onCleanup(() => sleeper.kill());
  assert.is(env.run(['run', '-d', '-t', FIXTURE_REF, 'attach-mal1', 'sh']).code, 0);
  const st = state();
  const idle = pssKiB(st.monitorPid);

  const bad: Array<[string, Buffer]> = [
    ['text', Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')],
    ['unknown type', Buffer.concat([header(0x7f, 1), Buffer.from('x')])],
    ['a monitor frame from a client', Buffer.concat([header(FRAME.EXIT, 4), Buffer.alloc(4)])],
    ['huge stdin', header(FRAME.STDIN, 0xffffffff)],
    ['stdin one over the limit', header(FRAME.STDIN, 4097)],
    ['reserved byte', header(FRAME.STDIN, 1, 1)],
    ['resize of 5 bytes', Buffer.concat([header(FRAME.RESIZE, 5), Buffer.alloc(5)])],
    ['resize of 0 bytes', header(FRAME.RESIZE, 0)],
  ];
  for (const [what, bytes] of bad) {
    const c = rawClient(st.attachSocket);
    c.sock.write(bytes);
    await c.closed; // the monitor hangs up on it
    const frames = new FrameDecoder().push(c.bytes);
    assert.equal(frames.map((f) => f.type), ['hello'], `${what}: hello, then closed`);
  }
  // A zero-size resize frame is legal but 0x0 is ignored; a stalled half frame holds one slot and nothing else.
  const stalled = rawClient(st.attachSocket);
  stalled.sock.write(Buffer.concat([header(FRAME.STDIN, 4096), Buffer.from('partial')]));
  // 16 slots: the stalled client plus 20 more; the ones beyond are closed at once.
  const crowd = Array.from({ length: 20 }, () => rawClient(st.attachSocket));
  const refused = await Promise.race([Promise.any(crowd.map((c) => c.closed)).then(() => true), new Promise((r) => setTimeout(() => r(false), 10000))]);
  assert.ok(refused, 'clients beyond the limit are closed');
  for (const c of crowd) c.sock.destroy();
  await Promise.all(crowd.map((c) => c.closed));
  assert.ok(alive(st.monitorPid));

  // A client that never reads while the task writes megabytes: it is dropped, the real attach is not slowed to a stop.
  const deaf = rawClient(st.attachSocket);
  deaf.sock.pause();
  const s = suite.pty([process.execPath, ...env.args(['tasks', 'attach', 'attach-mal1'])]);
  await ready(s);
  const from = s.output.length;
  s.send('seq 1 300000; echo "FLOOD""-DONE"\r');
  await s.waitFor(/FLOOD-DONE\r\n/, from, 60000);
  assert.match(s.output.slice(from), /\r\n300000\r\n/, 'the real attach saw everything');
  deaf.sock.resume();
  await deaf.closed;
  const got = new FrameDecoder().push(deaf.bytes);
  assert.ok(got.filter((f) => f.type === 'stdout').reduce((n, f) => n + (f as { data: Buffer }).data.length, 0) < 2_000_000, 'the deaf client got less than the flood: it was dropped');
  const busy = pssKiB(st.monitorPid);
  const floor = pssKiB(sleeper.pid!);
  console.log(`  monitor PSS: ${idle} KiB idle, ${busy} KiB after 30 clients and a 2 MB flood; a sleep(1) here: ${floor} KiB`);
  assert.ok(busy < 2048, `monitor PSS ${busy} KiB`);
  sleeper.kill();

  // The stalled half frame still holds its slot; the task is fine; exit ends the real attach.
  assert.is((await s.sh('echo still-$((1+1))')).trim(), 'still-2');
  s.send('exit 5\r');
  assert.is((await s.exited).code, 5);
  await stalled.closed;
  assert.ok(new FrameDecoder().push(stalled.bytes).some((f) => f.type === 'exit'), 'the stalled client got the exit frame too');
});

test.run();
