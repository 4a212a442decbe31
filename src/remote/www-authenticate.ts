// WWW-Authenticate parsing (RFC 7235 section 4.1): one header may carry several
// challenges, `Basic realm="x", Bearer realm="https://auth/token",service="reg",scope="repository:a:pull"`.
// Params are token=token or token="quoted string" with backslash escapes.

export interface Challenge {
  /** Lowercased: 'bearer', 'basic', ... */
  scheme: string;
  params: Record<string, string>;
}

const TOKEN = /[!#$%&'*+\-.^_`|~0-9A-Za-z]+/y;

export function parseChallenges(headers: string | string[] | undefined): Challenge[] {
  const list = headers === undefined ? [] : Array.isArray(headers) ? headers : [headers];
  const out: Challenge[] = [];
  for (const h of list) out.push(...parseOne(h));
  return out;
}

function parseOne(s: string): Challenge[] {
  const out: Challenge[] = [];
  let i = 0;
  const skipWs = () => { while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++; };
  const readToken = (): string | undefined => {
    TOKEN.lastIndex = i;
    const m = TOKEN.exec(s);
    if (!m) return undefined;
    i += m[0].length;
    return m[0];
  };
  const readQuoted = (): string => {
    i++; // opening quote
    let v = '';
    while (i < s.length && s[i] !== '"') {
      if (s[i] === '\\' && i + 1 < s.length) i++;
      v += s[i++];
    }
    i++; // closing quote
    return v;
  };
  let cur: Challenge | undefined;
  while (i < s.length) {
    skipWs();
    if (s[i] === ',') { i++; continue; }
    const start = i;
    const tok = readToken();
    if (tok === undefined) { i++; continue; }
    skipWs();
    if (s[i] === '=' && cur) {
      i++;
      skipWs();
      const v = s[i] === '"' ? readQuoted() : (readToken() ?? '');
      cur.params[tok.toLowerCase()] = v;
      continue;
    }
    if (s[i] === '=' && !cur) { i = start + tok.length + 1; continue; }
    // A token not followed by "=" starts a new challenge (or is a token68 we ignore).
    cur = { scheme: tok.toLowerCase(), params: {} };
    out.push(cur);
  }
  return out;
}

/** The challenge a client should answer: Bearer before Basic, as containerd does. */
export function pickChallenge(cs: Challenge[]): Challenge | undefined {
  return cs.find((c) => c.scheme === 'bearer') ?? cs.find((c) => c.scheme === 'basic');
}
