// The value syntaxes runc's flags take: Go durations (time.ParseDuration:
// "5s", "500ms", "1m30s", "1.5h") for `events --interval`, and docker's
// go-units RAMInBytes sizes ("512m", "1g", "64KiB", binary multiples) for
// `update --memory` and friends. Both refuse what Go refuses, with a line
// naming the flag.
import { InvalidArgumentError } from '../errors.js';

const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration in milliseconds (fractions kept). "0" alone is allowed, as in Go; a bare number is not. */
export function parseDuration(text: string, flag = 'duration'): number {
  const bad = (why: string) => new InvalidArgumentError(`invalid value ${JSON.stringify(text)} for --${flag}: ${why}`, { hint: 'a Go duration such as 5s, 500ms or 1m30s' });
  if (typeof text !== 'string' || text.length === 0 || text.length > 64) throw bad('not a duration');
  let s = text;
  let sign = 1;
  if (s[0] === '-' || s[0] === '+') { sign = s[0] === '-' ? -1 : 1; s = s.slice(1); }
  if (s === '0') return 0;
  if (s === '') throw bad('not a duration');
  let total = 0;
  const re = /^(\d*(?:\.\d*)?)(ns|us|µs|μs|ms|s|m|h)/;
  while (s.length) {
    const m = re.exec(s);
    if (!m || m[1] === '' || m[1] === '.') throw bad(m ? 'a number must come before the unit' : 'missing or unknown unit (ns, us, ms, s, m, h)');
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    s = s.slice(m[0].length);
  }
  // Go's limit: an int64 of nanoseconds, about 292 years.
  if (!Number.isFinite(total) || total * 1e6 > 9.223372036854775807e18) throw bad('out of range');
  return sign * total;
}

const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/**
 * go-units RAMInBytes: a number with an optional binary multiple
 * (k/m/g/t/p, any case, optionally followed by "i" and/or "b"): "512m",
 * "1.5g", "64KiB", "100". Refuses values a JS number cannot hold exactly
 * (above 2^53 - 1, i.e. 8 PiB) rather than rounding them.
 */
export function parseSize(text: string, flag = 'size'): number {
  const bad = (why: string) => new InvalidArgumentError(`invalid value ${JSON.stringify(text)} for --${flag}: ${why}`, { hint: 'a byte count with an optional unit: 512m, 1g, 64KiB' });
  if (typeof text !== 'string' || text.length > 64) throw bad('not a size');
  const m = /^(\d+(?:\.\d+)?) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(text);
  if (!m) throw bad('not a size');
  const v = Math.trunc(Number(m[1]) * SIZE_UNITS[(m[2] ?? '').toLowerCase()]!);
  if (!Number.isSafeInteger(v)) throw bad('too large');
  return v;
}

/** A runc memory flag: "-1" is unlimited, anything else a size. */
export function parseMemoryFlag(text: string, flag: string): number {
  return text === '-1' ? -1 : parseSize(text, flag);
}

/** A decimal integer flag (Go strconv.ParseInt / ParseUint), within [min, max] and exact. */
export function parseIntFlag(text: string, flag: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof text !== 'string' || !/^[-+]?\d{1,20}$/.test(text)) throw new InvalidArgumentError(`invalid value ${JSON.stringify(text)} for --${flag}: not an integer`);
  const v = Number(text);
  if (!Number.isSafeInteger(v) || v < min || v > max) throw new InvalidArgumentError(`invalid value ${JSON.stringify(text)} for --${flag}: out of range (${min} to ${max})`);
  return v;
}
