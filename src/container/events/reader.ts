// Reading the journal, which anyone with write access to --root may have
// damaged: lines are parsed strictly and a bad one is reported, never thrown.
// A line longer than MAX_READ_LINE without a newline is discarded up to the
// next newline, so a hostile file cannot make the reader buffer without end.
import { validateNamespaceName } from './validate.js';
import { parseRfc3339 } from './time.js';
import type { Envelope } from './topics.js';

/** Writers keep lines under 4 KiB; anything much longer is not ours. */
export const MAX_READ_LINE = 64 * 1024;

export type ParsedLine = { ok: true; event: Envelope; ns: bigint } | { ok: false; reason: string };

const TOPIC_RE = /^(\/[a-z0-9][a-z0-9_-]{0,63}){1,8}$/;

/** One journal line (without its newline) → an envelope, or why it is not one. */
export function parseEventLine(text: string): ParsedLine {
  if (text.length > MAX_READ_LINE) return { ok: false, reason: `line of ${text.length} bytes is too long` };
  let v: unknown;
  try { v = JSON.parse(text); } catch { return { ok: false, reason: 'not JSON' }; }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { ok: false, reason: 'not a JSON object' };
  const o = v as Record<string, unknown>;
  if (typeof o.timestamp !== 'string') return { ok: false, reason: 'no timestamp' };
  const ns = parseRfc3339(o.timestamp);
  if (ns === undefined) return { ok: false, reason: 'timestamp is not RFC 3339' };
  if (typeof o.namespace !== 'string' || validateNamespaceName(o.namespace)) return { ok: false, reason: 'invalid namespace' };
  if (typeof o.topic !== 'string' || !TOPIC_RE.test(o.topic)) return { ok: false, reason: 'invalid topic' };
  const ev = o.event === undefined ? {} : o.event;
  if (typeof ev !== 'object' || ev === null || Array.isArray(ev)) return { ok: false, reason: 'event is not an object' };
  return { ok: true, ns, event: { timestamp: o.timestamp, namespace: o.namespace, topic: o.topic, event: ev as Record<string, unknown> } };
}

/**
 * Splits bytes into lines; keeps a partial last line until its newline
 * arrives (a reader may see a write half copied). Over-long lines are
 * dropped and reported through onLine as undefined.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private held = 0;
  private skipping = false;

  constructor(private readonly onLine: (line: string | undefined) => void, private readonly max = MAX_READ_LINE) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl < 0) break;
      const piece = chunk.subarray(start, nl);
      if (this.skipping || this.held + piece.length > this.max) {
        this.onLine(undefined);
      } else {
        const line = this.held ? Buffer.concat([...this.parts, piece]).toString('utf8') : piece.toString('utf8');
        this.onLine(line);
      }
      this.parts = [];
      this.held = 0;
      this.skipping = false;
      start = nl + 1;
    }
    const rest = chunk.subarray(start);
    if (!rest.length || this.skipping) return;
    if (this.held + rest.length > this.max) {
      this.parts = [];
      this.held = 0;
      this.skipping = true;
      return;
    }
    this.parts.push(Buffer.from(rest));
    this.held += rest.length;
  }

  /** Bytes of a line not yet ended. */
  pending(): number { return this.held; }
}

/** Collects warnings about bad lines: the first is reported with where and why, the rest only counted. */
export class BadLineReporter {
  count = 0;
  constructor(private readonly warn: (line: string) => void) {}
  report(where: string, reason: string): void {
    this.count++;
    if (this.count === 1) this.warn(`warning: skipping a malformed line in ${where} (${reason}); further malformed lines are skipped silently`);
  }
}
