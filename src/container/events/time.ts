// Times of the journal: written as RFC 3339 with nine fraction digits (UTC),
// compared as nanoseconds since the epoch (bigint), printed as Go prints a
// time.Time (what `ctr events` shows). --since takes a time or a duration.
import { InvalidArgumentError } from '../../errors.js';
import { isoString } from '../../util/iso-time.js';

/** Now, RFC 3339 nano. JavaScript's clock has microseconds at best: the last three digits are 0. */
export function nowRfc3339Nano(): string {
  const us = Math.round((performance.timeOrigin + performance.now()) * 1000);
  return formatRfc3339Nano(BigInt(us) * 1000n);
}

export function formatRfc3339Nano(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0');
  return isoString(ms).slice(0, 19) + '.' + frac + 'Z';
}

// RFC 3339: date, T (or t/space), time, optional fraction (1-9 digits), Z or ±hh:mm.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;

/** Nanoseconds since the epoch, or undefined when s is not an RFC 3339 time. */
export function parseRfc3339(s: string): bigint | undefined {
  if (typeof s !== 'string' || s.length > 40) return undefined;
  const m = RFC3339.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, sec, frac = '', zone] = m;
  if (+mo! < 1 || +mo! > 12 || +d! < 1 || +d! > 31 || +h! > 23 || +mi! > 59 || +sec! > 60) return undefined;
  let ms = Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +sec!);
  if (Number.isNaN(ms) || new Date(ms).getUTCDate() !== +d!) return undefined;
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone![0] === '-' ? -1 : 1;
    const zh = +zone!.slice(1, 3), zm = +zone!.slice(4, 6);
    if (zh > 23 || zm > 59) return undefined;
    ms -= sign * (zh * 60 + zm) * 60_000;
  }
  return BigInt(ms) * 1_000_000n + BigInt(frac.padEnd(9, '0') || '0');
}

const UNIT_NS: Record<string, bigint> = { ns: 1n, us: 1000n, 'µs': 1000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n };

/** A Go-style duration (1h30m, 90s, 500ms, 1.5h) in nanoseconds, or undefined. */
export function parseDuration(s: string): bigint | undefined {
  if (typeof s !== 'string' || s.length === 0 || s.length > 64) return undefined;
  const re = /(\d+)(?:\.(\d{1,9}))?(ns|us|µs|ms|s|m|h)/y;
  let total = 0n;
  let i = 0;
  while (i < s.length) {
    re.lastIndex = i;
    const m = re.exec(s);
    if (!m) return undefined;
    const unit = UNIT_NS[m[3]!]!;
    const frac = m[2] ?? '';
    total += BigInt(m[1]!) * unit + (BigInt(frac.padEnd(9, '0') || '0') * unit) / 1_000_000_000n;
    i = re.lastIndex;
  }
  return total;
}

/** --since: an RFC 3339 time, or a duration back from now. Returns nanoseconds since the epoch. */
export function parseSince(s: string, nowNs: bigint = BigInt(Date.now()) * 1_000_000n): bigint {
  const t = parseRfc3339(s);
  if (t !== undefined) return t;
  const d = parseDuration(s);
  if (d !== undefined) return nowNs - d;
  throw new InvalidArgumentError(`--since "${s.length > 60 ? s.slice(0, 60) + '…' : s}": neither an RFC 3339 time nor a duration`, { hint: 'e.g. --since 10m, --since 1h30m, --since 2026-11-29T23:00:00Z' });
}

/** As Go's time.Time.String() in UTC: 2026-11-29 23:10:00.123456789 +0000 UTC (trailing zeros of the fraction dropped). */
export function formatGoTime(rfc: string): string {
  const ns = parseRfc3339(rfc);
  if (ns === undefined) return rfc;
  const iso = new Date(Number(ns / 1_000_000n)).toISOString();
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${frac ? '.' + frac : ''} +0000 UTC`;
}
