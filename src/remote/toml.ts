// The TOML subset containerd's hosts.toml uses: comments, [table] and
// [dotted."quoted".table] headers, key = value with basic/literal strings,
// booleans, integers and (multi-line) arrays of those. Anything else is an
// error naming the line, so a typo is not silently ignored.
import { InvalidArgumentError } from '../errors.js';

export type TomlValue = string | number | boolean | TomlValue[] | TomlTable;
export interface TomlTable { [key: string]: TomlValue }

class Cursor {
  i = 0;
  constructor(readonly s: string, readonly file: string) {}
  get line(): number { return this.s.slice(0, this.i).split('\n').length; }
  fail(why: string): never {
    throw new InvalidArgumentError(`${this.file}:${this.line}: ${why}`, { hint: 'hosts.toml follows containerd\'s format: see the Registries section of the README' });
  }
  peek(): string { return this.s[this.i] ?? ''; }
  ws(): void { while (this.peek() === ' ' || this.peek() === '\t') this.i++; }
  /** Whitespace, newlines and comments. */
  wsnl(): void {
    for (;;) {
      const c = this.peek();
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') this.i++;
      else if (c === '#') { while (this.i < this.s.length && this.peek() !== '\n') this.i++; }
      else return;
    }
  }
}

function readKey(c: Cursor): string[] {
  const parts: string[] = [];
  for (;;) {
    c.ws();
    const ch = c.peek();
    if (ch === '"' || ch === "'") parts.push(readString(c));
    else {
      const m = /^[A-Za-z0-9_-]+/.exec(c.s.slice(c.i));
      if (!m) c.fail(`expected a key, found "${ch || 'end of file'}"`);
      parts.push(m[0]);
      c.i += m[0].length;
    }
    c.ws();
    if (c.peek() !== '.') return parts;
    c.i++;
  }
}

function readString(c: Cursor): string {
  const q = c.peek();
  c.i++;
  let v = '';
  for (;;) {
    const ch = c.peek();
    if (ch === '' || ch === '\n') c.fail('unterminated string');
    c.i++;
    if (ch === q) return v;
    if (ch === '\\' && q === '"') {
      const e = c.peek();
      c.i++;
      const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\', b: '\b', f: '\f' };
      if (map[e] !== undefined) v += map[e];
      else if (e === 'u' || e === 'U') {
        const n = e === 'u' ? 4 : 8;
        const hex = c.s.slice(c.i, c.i + n);
        if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== n) c.fail('bad unicode escape');
        v += String.fromCodePoint(parseInt(hex, 16));
        c.i += n;
      } else c.fail(`unknown escape "\\${e}"`);
    } else v += ch;
  }
}

function readValue(c: Cursor): TomlValue {
  c.ws();
  const ch = c.peek();
  if (ch === '"' || ch === "'") {
    if (c.s.startsWith(ch.repeat(3), c.i)) c.fail('multi-line strings are not supported in hosts.toml');
    return readString(c);
  }
  if (ch === '[') {
    c.i++;
    const arr: TomlValue[] = [];
    for (;;) {
      c.wsnl();
      if (c.peek() === ']') { c.i++; return arr; }
      arr.push(readValue(c));
      c.wsnl();
      if (c.peek() === ',') { c.i++; continue; }
      if (c.peek() === ']') { c.i++; return arr; }
      c.fail('expected "," or "]" in array');
    }
  }
  if (ch === '{') c.fail('inline tables are not supported in hosts.toml');
  const m = /^(true|false|[+-]?[0-9][0-9_]*)(?=[\s,\]#]|$)/.exec(c.s.slice(c.i));
  if (!m) c.fail(`bad value starting "${c.s.slice(c.i, c.i + 12).split('\n')[0]}" (strings need quotes)`);
  c.i += m[0].length;
  if (m[0] === 'true') return true;
  if (m[0] === 'false') return false;
  return Number(m[0].replace(/_/g, ''));
}

function descend(c: Cursor, root: TomlTable, path: string[], what: string): TomlTable {
  let t = root;
  for (const k of path) {
    const v = t[k];
    if (v === undefined) t = t[k] = {};
    else if (typeof v === 'object' && !Array.isArray(v)) t = v;
    else c.fail(`${what} "${path.join('.')}" conflicts with the value of "${k}"`);
  }
  return t;
}

export function parseToml(text: string, file = 'hosts.toml'): TomlTable {
  const c = new Cursor(text.replace(/\r\n/g, '\n'), file);
  const root: TomlTable = {};
  let table = root;
  const defined = new Set<string>();
  for (;;) {
    c.wsnl();
    if (c.i >= c.s.length) return root;
    if (c.peek() === '[') {
      c.i++;
      if (c.peek() === '[') c.fail('arrays of tables are not supported in hosts.toml');
      const path = readKey(c);
      if (c.peek() !== ']') c.fail('expected "]" after table name');
      c.i++;
      const id = JSON.stringify(path);
      if (defined.has(id)) c.fail(`table [${path.join('.')}] defined twice`);
      defined.add(id);
      table = descend(c, root, path, 'table');
    } else {
      const key = readKey(c);
      if (c.peek() !== '=') c.fail(`expected "=" after key "${key.join('.')}"`);
      c.i++;
      const v = readValue(c);
      const parent = descend(c, table, key.slice(0, -1), 'key');
      const last = key[key.length - 1]!;
      if (parent[last] !== undefined) c.fail(`key "${key.join('.')}" set twice`);
      parent[last] = v;
    }
    c.ws();
    if (c.peek() === '#') c.wsnl();
    else if (c.peek() !== '\n' && c.i < c.s.length) c.fail(`unexpected "${c.peek()}" after value`);
  }
}
