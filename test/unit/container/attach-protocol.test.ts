// The attach protocol's frames and detach keys (src/container/attach-protocol.ts),
// with a malicious-input suite for the frame decoder and the --detach-keys parser.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DetachScanner, encodeResize, encodeStdin, FRAME, FrameDecoder, MAX_OUTPUT_PAYLOAD, MAX_STDIN_PAYLOAD, parseDetachKeys, ProtocolError, DEFAULT_DETACH_KEYS } from '../../../src/container/attach-protocol.js';
import { InvalidArgumentError } from '../../../src/errors.js';

const frame = (type: number, payload: Buffer, reserved = [0, 0, 0]) => {
  const h = Buffer.from([type, ...reserved, 0, 0, 0, 0]);
  h.writeUInt32LE(payload.length, 4);
  return Buffer.concat([h, payload]);
};
const hello = (flags: number, pid: number) => { const p = Buffer.alloc(8); p.writeUInt32LE(flags, 0); p.writeInt32LE(pid, 4); return frame(FRAME.HELLO, p); };
const exit = (status: number) => { const p = Buffer.alloc(4); p.writeInt32LE(status, 0); return frame(FRAME.EXIT, p); };

test('client frames: stdin is cut at the monitor\'s limit; resize is rows, cols', () => {
  const big = Buffer.alloc(MAX_STDIN_PAYLOAD * 2 + 5, 0x61);
  const f = encodeStdin(big);
  assert.is(f.length, big.length + 3 * 8);
  assert.equal([...f.subarray(0, 8)], [FRAME.STDIN, 0, 0, 0, 0, 0x10, 0, 0]);
  assert.equal([...encodeResize(40, 120)], [FRAME.RESIZE, 0, 0, 0, 4, 0, 0, 0, 40, 0, 120, 0]);
  assert.equal([...encodeResize(-1, 1e6)].slice(8), [0, 0, 0xff, 0xff], 'clamped to u16');
});

test('the decoder reads a monitor stream however it is split', () => {
  const stream = Buffer.concat([hello(1, 42), frame(FRAME.STDOUT, Buffer.from('hi\r\n')), frame(FRAME.STDERR, Buffer.from('oops')), exit(7 << 8)]);
  for (let cut = 0; cut <= stream.length; cut++) {
    const d = new FrameDecoder();
    const got = [...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))];
    assert.equal(got.map((f) => f.type), ['hello', 'stdout', 'stderr', 'exit'], `cut at ${cut}`);
    assert.equal(got[0], { type: 'hello', tty: true, stdinOpen: false, pid: 42 });
    assert.is((got[1] as { data: Buffer }).data.toString(), 'hi\r\n');
    assert.equal(got[3], { type: 'exit', status: 7 << 8 });
    assert.is(d.pending, 0);
  }
  const one = new FrameDecoder();
  const bytes = [...stream].flatMap((b) => one.push(Buffer.from([b])));
  assert.is(bytes.length, 4, 'byte by byte');
});

test('malicious: unknown types, reserved bytes, sizes the type does not allow', () => {
  const bad: Array<[string, Buffer]> = [
    ['unknown type', frame(0x7f, Buffer.alloc(1))],
    ['a client type from the monitor', frame(FRAME.STDIN, Buffer.alloc(1))],
    ['reserved byte', frame(FRAME.STDOUT, Buffer.alloc(1), [0, 1, 0])],
    ['huge stdout', Buffer.from([FRAME.STDOUT, 0, 0, 0, 0xff, 0xff, 0xff, 0xff])],
    ['stdout one over', Buffer.concat([Buffer.from([FRAME.STDOUT, 0, 0, 0]), Buffer.from(new Uint32Array([MAX_OUTPUT_PAYLOAD + 1]).buffer)])],
    ['short hello', frame(FRAME.HELLO, Buffer.alloc(4))],
    ['long exit', frame(FRAME.EXIT, Buffer.alloc(8))],
    ['empty exit', frame(FRAME.EXIT, Buffer.alloc(0))],
    ['text garbage', Buffer.from('GET / HTTP/1.1\r\n\r\n')],
  ];
  for (const [what, b] of bad) {
    const d = new FrameDecoder();
    assert.throws(() => d.push(b), (e: unknown) => e instanceof ProtocolError, what);
  }
});

test('malicious: a declared huge frame is refused from its header, before any payload is buffered', () => {
  const d = new FrameDecoder();
  assert.throws(() => d.push(Buffer.from([FRAME.STDOUT, 0, 0, 0, 0, 0, 0, 0x40])), (e: unknown) => e instanceof ProtocolError);
  // A maximal legal frame, fed slowly, holds no more than itself.
  const ok = new FrameDecoder();
  const f = frame(FRAME.STDOUT, Buffer.alloc(MAX_OUTPUT_PAYLOAD, 1));
  for (let i = 0; i < f.length - 1; i += 1000) assert.equal(ok.push(f.subarray(i, Math.min(i + 1000, f.length - 1))), []);
  assert.ok(ok.pending < f.length);
  assert.is(ok.push(f.subarray(f.length - 1)).length, 1);
});

test('detach keys: Docker\'s syntax', () => {
  assert.equal([...parseDetachKeys(DEFAULT_DETACH_KEYS)], [0x10, 0x11]);
  assert.equal([...parseDetachKeys('ctrl-x,y')], [0x18, 0x79]);
  assert.equal([...parseDetachKeys('ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_')], [0, 27, 28, 29, 30, 31]);
  assert.equal([...parseDetachKeys('CTRL-A,a,Z,~')], [1, 0x61, 0x5a, 0x7e]);
});

test('malicious: --detach-keys that are not keys', () => {
  const bad = ['', ',', 'ctrl-', 'ctrl-1', 'ctrl-ab', 'ctrlx', 'ctrl+x', 'x,,y', ',x', 'x,', 'é', 'ctrl-é', '\x00', '\n', 'ab', 'ctrl-p,ctrl-q,' , 'a'.repeat(65), 'shift-a', 'ctrl- '];
  for (const spec of bad) {
    assert.throws(() => parseDetachKeys(spec), (e: unknown) => e instanceof InvalidArgumentError && /--detach-keys/.test((e as Error).message) && !/[\x00\n]/.test((e as Error).message), JSON.stringify(spec));
  }
});

test('the scanner holds a partial sequence back and lets it go when it does not complete', () => {
  const s = new DetachScanner(parseDetachKeys('ctrl-p,ctrl-q'));
  assert.equal(s.push(Buffer.from('ls\r')), { forward: Buffer.from('ls\r'), detach: false });
  assert.equal(s.push(Buffer.from([0x10])), { forward: Buffer.alloc(0), detach: false }, 'ctrl-p alone is held');
  assert.equal(s.push(Buffer.from('x')), { forward: Buffer.from([0x10, 0x78]), detach: false }, 'then passed on with the next byte');
  assert.equal(s.push(Buffer.from([0x10, 0x10])), { forward: Buffer.from([0x10]), detach: false }, 'ctrl-p ctrl-p: the second may start the sequence');
  assert.equal(s.push(Buffer.from([0x11, 0x61])), { forward: Buffer.alloc(0), detach: true }, 'completed: what follows is dropped');
  const one = new DetachScanner(parseDetachKeys('ctrl-x'));
  assert.equal(one.push(Buffer.from('ab\x18cd')), { forward: Buffer.from('ab'), detach: true });
  const split = new DetachScanner(parseDetachKeys('ctrl-x,y'));
  assert.is(split.push(Buffer.from('\x18')).detach, false);
  assert.is(split.push(Buffer.from('y')).detach, true, 'across chunks');
});

test.run();
