// --filter for `tsctr events`, a subset of containerd's filter syntax:
//   filter  := clause (',' clause)*          every clause must match (and)
//   clause  := field op value
//   field   := topic | namespace | event.<name>   (<name>: a payload key, e.g. event.container_id)
//   op      := ==  |  !=  |  ~=              (~= is a regular expression)
//   value   := "quoted, with \" and \\"  |  bare text up to the next ','
// In == and != a '*' matches any run of characters: topic==/tasks/*.
// Several --filter flags: an event matching any one of them is shown (or).
import { InvalidArgumentError } from '../../errors.js';
import type { Envelope } from './topics.js';

export interface Clause { field: string; op: '==' | '!=' | '~='; value: string; re: RegExp }
export type Filter = Clause[];

const MAX_FILTER = 1024;
const MAX_REGEX = 256;
const FIELD_RE = /^(topic|namespace|event\.[a-z][a-z0-9_]{0,63})$/;

function bad(f: string, why: string): InvalidArgumentError {
  const shown = f.length > 80 ? f.slice(0, 80) + '…' : f;
  return new InvalidArgumentError(`--filter ${JSON.stringify(shown)}: ${why}`, { hint: 'e.g. --filter topic==/tasks/*  --filter namespace==default  --filter \'event.container_id==c1,topic~=^/tasks/(exit|oom)$\'' });
}

function globToRegExp(glob: string): RegExp {
  return new RegExp('^' + glob.split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('.*') + '$', 's');
}

export function parseFilter(f: string): Filter {
  if (typeof f !== 'string' || !f.length) throw bad(String(f), 'empty filter');
  if (f.length > MAX_FILTER) throw bad(f, `longer than ${MAX_FILTER} characters`);
  if (/[\x00-\x1f\x7f]/.test(f)) throw bad(f, 'control characters are not allowed');
  const clauses: Clause[] = [];
  let i = 0;
  for (;;) {
    const m = /^\s*([a-z][a-z0-9_.]*)\s*(==|!=|~=)\s*/.exec(f.slice(i));
    if (!m) throw bad(f, `expected FIELD==VALUE, FIELD!=VALUE or FIELD~=REGEX at position ${i}`);
    const field = m[1]!;
    if (!FIELD_RE.test(field)) throw bad(f, `unknown field "${field}" (topic, namespace or event.<name>)`);
    const op = m[2] as Clause['op'];
    i += m[0].length;
    let value = '';
    if (f[i] === '"') {
      i++;
      for (;;) {
        if (i >= f.length) throw bad(f, 'unterminated quoted value');
        const c = f[i]!;
        if (c === '\\') {
          const n = f[i + 1];
          if (n !== '"' && n !== '\\') throw bad(f, `unknown escape at position ${i}`);
          value += n;
          i += 2;
        } else if (c === '"') { i++; break; } else { value += c; i++; }
      }
      while (f[i] === ' ') i++;
      if (i < f.length && f[i] !== ',') throw bad(f, `unexpected text after the quoted value at position ${i}`);
    } else {
      const end = f.indexOf(',', i);
      value = (end < 0 ? f.slice(i) : f.slice(i, end)).trim();
      i = end < 0 ? f.length : end;
      if (!value.length) throw bad(f, `missing value for ${field}`);
      if (value.includes('"')) throw bad(f, 'a value with \'"\' must be quoted as a whole');
    }
    let re: RegExp;
    if (op === '~=') {
      if (value.length > MAX_REGEX) throw bad(f, `regular expression longer than ${MAX_REGEX} characters`);
      try { re = new RegExp(value); } catch (e) { throw bad(f, `invalid regular expression: ${(e as Error).message}`); }
    } else {
      re = globToRegExp(value);
    }
    clauses.push({ field, op, value, re });
    if (i >= f.length) return clauses;
    i++; // ','
    if (i >= f.length) throw bad(f, 'trailing comma');
  }
}

function fieldValue(e: Envelope, field: string): string | undefined {
  if (field === 'topic') return e.topic;
  if (field === 'namespace') return e.namespace;
  const key = field.slice('event.'.length);
  if (!Object.prototype.hasOwnProperty.call(e.event, key)) return undefined;
  const v = e.event[key];
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}

export function matchClause(c: Clause, e: Envelope): boolean {
  const v = fieldValue(e, c.field);
  if (c.op === '!=') return v === undefined || !c.re.test(v);
  return v !== undefined && c.re.test(v);
}

/** No filters: everything. Else an event matching all clauses of any one filter. */
export function matchFilters(filters: Filter[], e: Envelope): boolean {
  return !filters.length || filters.some((f) => f.every((c) => matchClause(c, e)));
}
