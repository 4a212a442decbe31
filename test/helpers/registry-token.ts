// A Docker token-auth server for tests (docs/spec/auth/token.md): GET
// /token?service=&scope=… with optional Basic credentials, answering with a
// JWT the registry verifies. distribution's token verifier takes the signing
// key from the `x5c` header and checks that the certificate chains to its
// `rootcertbundle`; our certificate is self-signed and is that bundle.
//
// Policy: anonymous callers get `pull` only; the right user/password gets
// whatever actions they ask for; a wrong password is a 401. POST /token with
// grant_type=refresh_token (OAuth2, docs/spec/auth/oauth.md) and the
// configured refresh token acts as that user; any other refresh token is a 401.
import { createHash, randomBytes, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TokenServer {
  url: string;
  /** Requests answered with a token, and all requests. */
  issued: number;
  requests: { scopes: string[]; user?: string; grant?: string; clientId?: string }[];
  close(): Promise<void>;
}

export interface TokenServerOptions {
  certPem: string;   // file
  keyPem: string;    // file
  issuer: string;
  service: string;
  user: string;
  password: string;
  expiresIn?: number;
  /** The identity token a credential helper hands out ("<token>" user). */
  refreshToken?: string;
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

function certDerBase64(pemFile: string): string {
  const pem = readFileSync(pemFile, 'utf8');
  const m = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pem);
  if (!m) throw new Error(`${pemFile}: no certificate`);
  return m[1]!.replace(/\s+/g, '');
}

export function signJwt(claims: object, keyPem: string, x5c: string[]): string {
  const header = { typ: 'JWT', alg: 'RS256', x5c };
  const data = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const sig = sign('RSA-SHA256', Buffer.from(data), readFileSync(keyPem));
  return `${data}.${b64url(sig)}`;
}

export async function startTokenServer(o: TokenServerOptions): Promise<TokenServer> {
  const x5c = [certDerBase64(o.certPem)];
  const state: TokenServer = { url: '', issued: 0, requests: [], close: async () => {} };
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    if (u.pathname === '/token' && req.method === 'POST') {
      let body = '';
      req.on('data', (d: Buffer) => { body += d; });
      req.on('end', () => {
        const f = new URLSearchParams(body);
        const scopes = (f.get('scope') ?? '').split(' ').filter(Boolean);
        const ok = f.get('grant_type') === 'refresh_token' && !!o.refreshToken && f.get('refresh_token') === o.refreshToken;
        state.requests.push({ scopes, user: ok ? o.user : undefined, grant: f.get('grant_type') ?? undefined, clientId: f.get('client_id') ?? undefined });
        if (!ok) { res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'invalid_grant' })); return; }
        const r = issue(scopes, o.user);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: r.token, expires_in: r.expiresIn, scope: scopes.join(' ') }));
      });
      return;
    }
    if (u.pathname !== '/token' || req.method !== 'GET') { res.writeHead(404).end(); return; }
    const scopes = u.searchParams.getAll('scope').flatMap((s) => s.split(' ')).filter(Boolean);
    let user: string | undefined;
    const authz = req.headers.authorization;
    if (authz?.startsWith('Basic ')) {
      const [name, ...rest] = Buffer.from(authz.slice(6), 'base64').toString('utf8').split(':');
      if (name !== o.user || rest.join(':') !== o.password) {
        state.requests.push({ scopes, user: name });
        res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'incorrect username or password' }] }));
        return;
      }
      user = name;
    }
    state.requests.push({ scopes, user });
    const { token, expiresIn } = issue(scopes, user);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token, access_token: token, expires_in: expiresIn, issued_at: new Date().toISOString() }));
  });
  function issue(scopes: string[], user: string | undefined): { token: string; expiresIn: number } {
    const access = scopes.map((s) => {
      const [type, ...mid] = s.split(':');
      const actions = mid.pop()!.split(',');
      return { type, name: mid.join(':'), actions: user ? actions : actions.filter((a) => a === 'pull') };
    });
    const now = Math.floor(Date.now() / 1000);
    const expiresIn = o.expiresIn ?? 300;
    const claims = {
      iss: o.issuer, sub: user ?? '', aud: o.service, exp: now + expiresIn, nbf: now - 10, iat: now,
      jti: createHash('sha256').update(randomBytes(16)).digest('hex').slice(0, 16), access,
    };
    state.issued++;
    return { token: signJwt(claims, o.keyPem, x5c), expiresIn };
  }
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
  state.close = () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); });
  return state;
}
