// Date.prototype.toISOString() without ICU.
//
// V8's toISOString goes through its date cache, which loads ICU's time zone
// data on first use (~0.8 MiB of the node binary's ICU code and data touched,
// measured with /proc/self/pagemap) although the result is UTC. The getUTC*
// getters do not: `run` stamps its records and events with this instead.

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** The same string as `new Date(ms).toISOString()` for every valid time value; throws RangeError as it does for an invalid one. */
export function isoString(ms: number = Date.now()): string {
  const d = new Date(ms);
  const y = d.getUTCFullYear();
  if (Number.isNaN(y)) throw new RangeError('Invalid time value');
  const year = y >= 0 && y <= 9999 ? pad(y, 4) : (y < 0 ? '-' : '+') + pad(Math.abs(y), 6);
  return `${year}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}Z`;
}
