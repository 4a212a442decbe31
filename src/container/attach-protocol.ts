// The attach protocol's frames (native/monitor-clients.c draws them) and the
// detach keys, as pure functions: `tasks attach` (attach.ts) uses them, and
// they are tested without a monitor.
//
//   u8 type | u8 0 | u8 0 | u8 0 | u32 length (LE) | payload
import { InvalidArgumentError } from '../errors.js';

export const FRAME = {
  STDIN: 0x01, RESIZE: 0x02,
  HELLO: 0x10, STDOUT: 0x11, STDERR: 0x12, EXIT: 0x13,
} as const;

export const FRAME_HEADER = 8;
/** The monitor refuses client frames above this. */
export const MAX_STDIN_PAYLOAD = 4096;
/** The monitor sends no output frame above this; a bigger one is a broken peer. */
export const MAX_OUTPUT_PAYLOAD = 16384;

export type MonitorFrame =
  | { type: 'hello'; tty: boolean; stdinOpen: boolean; pid: number }
  | { type: 'stdout' | 'stderr'; data: Buffer }
  | { type: 'exit'; status: number };

function frame(type: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(FRAME_HEADER);
  h[0] = type;
  h.writeUInt32LE(payload.length, 4);
  return Buffer.concat([h, payload]);
}

/** Input for the container, cut into frames the monitor accepts. */
export function encodeStdin(data: Buffer): Buffer {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += MAX_STDIN_PAYLOAD) out.push(frame(FRAME.STDIN, data.subarray(i, i + MAX_STDIN_PAYLOAD)));
  return Buffer.concat(out);
}

export function encodeResize(rows: number, cols: number): Buffer {
  const p = Buffer.alloc(4);
  p.writeUInt16LE(Math.max(0, Math.min(0xffff, rows | 0)), 0);
  p.writeUInt16LE(Math.max(0, Math.min(0xffff, cols | 0)), 2);
  return frame(FRAME.RESIZE, p);
}

export class ProtocolError extends Error {}

/**
 * Turns the monitor's byte stream into frames. Strict: an unknown type, a
 * reserved byte set, an oversized or wrongly sized payload throws
 * ProtocolError (the caller drops the connection); partial frames wait for
 * more bytes, and never more than one frame's worth is buffered.
 */
export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): MonitorFrame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const frames: MonitorFrame[] = [];
    while (this.buf.length >= FRAME_HEADER) {
      const type = this.buf[0]!;
      if (this.buf[1] || this.buf[2] || this.buf[3]) throw new ProtocolError('reserved header bytes are not zero');
      const len = this.buf.readUInt32LE(4);
      const want = expectedLength(type, len);
      if (want === undefined) throw new ProtocolError(`bad frame: type 0x${type.toString(16)}, length ${len}`);
      if (this.buf.length < FRAME_HEADER + len) break;
      const p = Buffer.from(this.buf.subarray(FRAME_HEADER, FRAME_HEADER + len));
      this.buf = this.buf.subarray(FRAME_HEADER + len);
      if (type === FRAME.HELLO) frames.push({ type: 'hello', tty: !!(p.readUInt32LE(0) & 1), stdinOpen: !!(p.readUInt32LE(0) & 2), pid: p.readInt32LE(4) });
      else if (type === FRAME.EXIT) frames.push({ type: 'exit', status: p.readInt32LE(0) });
      else frames.push({ type: type === FRAME.STDOUT ? 'stdout' : 'stderr', data: p });
    }
    return frames;
  }

  /** Bytes of an incomplete frame at the end of the stream. */
  get pending(): number { return this.buf.length; }
}

function expectedLength(type: number, len: number): number | undefined {
  switch (type) {
    case FRAME.HELLO: return len === 8 ? len : undefined;
    case FRAME.EXIT: return len === 4 ? len : undefined;
    case FRAME.STDOUT: case FRAME.STDERR: return len <= MAX_OUTPUT_PAYLOAD ? len : undefined;
    default: return undefined;
  }
}

/** Docker's default detach sequence: ctrl-p, ctrl-q. */
export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

const CTRL_SPECIAL: Record<string, number> = { '@': 0, '[': 27, '\\': 28, ']': 29, '^': 30, '_': 31 };

/**
 * Docker's syntax: comma-separated keys, each one ASCII character or
 * "ctrl-<a-z, @, [, \, ], ^, _>". Returns the byte sequence.
 */
export function parseDetachKeys(spec: string): Buffer {
  const bad = (why: string) => new InvalidArgumentError(`--detach-keys "${printable(spec)}": ${why}`, { hint: 'use keys like ctrl-p,ctrl-q or ctrl-x,y: a single ASCII character, or ctrl- with a-z, @, [, \\, ], ^ or _' });
  if (spec.length === 0) throw bad('empty');
  if (spec.length > 64) throw bad('longer than 64 characters');
  const out: number[] = [];
  for (const key of spec.split(',')) {
    if (key.length === 0) throw bad('an empty key (two commas, or a comma at an end)');
    if (key.length === 1) {
      const c = key.charCodeAt(0);
      if (c > 0x7e || c < 0x20) throw bad(`"${printable(key)}" is not a printable ASCII character`);
      out.push(c);
      continue;
    }
    const m = /^ctrl-(.)$/i.exec(key);
    if (!m) throw bad(`unknown key "${printable(key)}"`);
    const k = m[1]!.toLowerCase();
    if (k >= 'a' && k <= 'z') out.push(k.charCodeAt(0) - 0x60);
    else if (k in CTRL_SPECIAL) out.push(CTRL_SPECIAL[k]!);
    else throw bad(`unknown key "${printable(key)}"`);
  }
  return Buffer.from(out);
}

function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * Watches typed input for the detach sequence. Bytes that might begin it are
 * held back until the next byte tells; if it does not complete, they are
 * passed on in order, as Docker's escape proxy does.
 */
export class DetachScanner {
  private held = 0;
  constructor(private readonly keys: Buffer) {}

  /** Returns what to forward, and whether the sequence completed (the rest of the chunk is dropped). */
  push(chunk: Buffer): { forward: Buffer; detach: boolean } {
    const out: number[] = [];
    for (const b of chunk) {
      if (b === this.keys[this.held]) {
        this.held++;
        if (this.held === this.keys.length) { this.held = 0; return { forward: Buffer.from(out), detach: true }; }
        continue;
      }
      // A mismatch: what was held goes out, and this byte may start the sequence again.
      for (let i = 0; i < this.held; i++) out.push(this.keys[i]!);
      this.held = 0;
      if (b === this.keys[0]) { this.held = 1; if (this.keys.length === 1) { this.held = 0; return { forward: Buffer.from(out), detach: true }; } continue; }
      out.push(b);
    }
    return { forward: Buffer.from(out), detach: false };
  }
}
