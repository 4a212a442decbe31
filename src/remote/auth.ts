// Answers 401 challenges (Docker token auth spec, docs/spec/auth/token.md):
//
//   client ──GET /v2/x/manifests/t──────────────► registry
//   client ◄─401 WWW-Authenticate: Bearer realm,service,scope
//   client ──GET realm?service=…&scope=… [Basic user:pass]──► token server
//   client ◄─{"token"|"access_token", "expires_in"}
//   client ──GET /v2/x/manifests/t  Authorization: Bearer <token>──► registry
//
// Tokens are reused per host + scope until expires_in (default 60 s) runs
// out. A Basic challenge is answered with the credentials directly, and once a
// host asked for Basic we send them up front.
//
// An identity token (docker's "identitytoken", or a credential helper's
// Username "<token>") is an OAuth2 refresh token (docs/spec/auth/oauth.md):
//
//   client ──POST realm  grant_type=refresh_token&refresh_token=…&service&scope&client_id──► token server
//   client ◄─{"access_token", "expires_in", "refresh_token"?}
//
// It is never sent as a password, and a Basic challenge gets nothing from it.
import type { Credentials } from './docker-config.js';
import { errorFromResponse, RegistryError } from './errors.js';
import type { TlsSettings, Transport } from './transport.js';
import { parseChallenges, pickChallenge } from './www-authenticate.js';

export type Action = 'pull' | 'push';

export function scopeFor(path: string, action: Action): string {
  return `repository:${path}:${action === 'push' ? 'pull,push' : 'pull'}`;
}

/** Credentials for a host (the endpoint host, then the registry domain), or undefined for anonymous. */
export type CredentialSource = (host: string) => Promise<Credentials | undefined>;

interface Token { token: string; expiresAt: number }
const DEFAULT_EXPIRY_S = 60;
const EARLY_S = 5;

export function basicHeader(c: Credentials): string {
  return 'Basic ' + Buffer.from(`${c.username}:${c.password}`).toString('base64');
}

export class Authorizer {
  private readonly basic = new Map<string, string>();
  private readonly tokens = new Map<string, Token>();
  private readonly inflight = new Map<string, Promise<Token>>();
  /** How many token requests went out (tests check reuse). */
  tokenRequests = 0;

  constructor(private readonly transport: Transport, private readonly credentials: CredentialSource, private readonly log: (l: string) => void = () => {}, private readonly now: () => number = Date.now) {}

  /** The Authorization header to send before any challenge, if we hold one. */
  authorization(host: string, scope: string): string | undefined {
    const t = this.tokens.get(`${host}|${scope}`);
    if (t && t.expiresAt > this.now()) return `Bearer ${t.token}`;
    return this.basic.get(host);
  }

  /**
   * Handles a 401's WWW-Authenticate. Returns true when it obtained something
   * new to retry with; false when it has nothing to offer (no credentials, no
   * challenge). `sent` is the Authorization the refused request carried:
   * concurrent requests refused before the first answer all retry with it.
   * Token endpoint failures throw RegistryError.
   */
  async answer(host: string, wwwAuthenticate: string | string[] | undefined, scope: string, tls: TlsSettings, sent?: string): Promise<boolean> {
    const ch = pickChallenge(parseChallenges(wwwAuthenticate));
    if (!ch) return false;
    const creds = await this.credentials(host);
    if (ch.scheme === 'basic') {
      if (!creds || creds.identityToken) return false;
      const h = basicHeader(creds);
      if (sent === h) return false; // these very credentials were refused
      this.basic.set(host, h);
      return true;
    }
    const realm = ch.params.realm;
    if (!realm) return false;
    const scopes = [scope];
    // insufficient_scope names the scope the registry wants; ask for both.
    if (ch.params.scope && ch.params.scope !== scope) scopes.push(...ch.params.scope.split(' ').filter((s) => s && s !== scope));
    // Concurrent requests that meet the same challenge share one token request.
    const key = `${host}|${scopes.join(' ')}`;
    let p = this.inflight.get(key);
    if (!p) {
      p = this.fetchToken(realm, ch.params.service, scopes, creds, tls).finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    this.tokens.set(`${host}|${scope}`, await p);
    return true;
  }

  private async fetchToken(realm: string, service: string | undefined, scopes: string[], creds: Credentials | undefined, tls: TlsSettings): Promise<Token> {
    let u: URL;
    try {
      u = new URL(realm);
    } catch {
      throw new RegistryError('GET', realm, 0, undefined, 'the registry sent an invalid token realm URL');
    }
    const headers: Record<string, string> = { accept: 'application/json' };
    this.tokenRequests++;
    let method = 'GET';
    let body: Buffer | undefined;
    if (creds?.identityToken) {
      // OAuth2 refresh-token grant: the token goes in a form body, not a URL or a header.
      method = 'POST';
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: creds.identityToken, client_id: 'tsctr' });
      if (service) form.set('service', service);
      form.set('scope', scopes.join(' '));
      body = Buffer.from(form.toString());
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else {
      if (service) u.searchParams.set('service', service);
      for (const s of scopes) u.searchParams.append('scope', s);
      if (creds) headers.authorization = basicHeader(creds);
    }
    this.log(`auth: token for ${scopes.join(' ')} from ${u.origin}${u.pathname} (${creds?.identityToken ? 'with an identity token' : creds ? `as ${creds.username}` : 'anonymous'})`);
    const url = u.toString();
    const res = await this.transport.request({ method, url, headers, body, tls, followRedirects: method === 'GET' });
    if (res.statusCode !== 200) {
      const hint = creds?.identityToken ? 'the token server refused the identity token: log in again (it may have expired or been revoked)'
        : creds ? `the token server refused the credentials of "${creds.username}": check --user or ~/.docker/config.json` : 'log in with --user or ~/.docker/config.json';
      const err = await errorFromResponse(method, url, res, hint);
      if (!err.code && (res.statusCode === 401 || res.statusCode === 403)) {
        throw new RegistryError(method, url, res.statusCode, 'UNAUTHORIZED', err.message.slice(err.message.indexOf(': ') + 2), { hint });
      }
      throw err;
    }
    const chunks: Buffer[] = [];
    for await (const c of res as AsyncIterable<Buffer>) chunks.push(c);
    let answer: { token?: string; access_token?: string; expires_in?: number; issued_at?: string };
    try {
      answer = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof answer;
    } catch {
      throw new RegistryError(method, url, 200, undefined, 'the token server answered with something other than JSON');
    }
    if (!answer || typeof answer !== 'object') throw new RegistryError(method, url, 200, undefined, 'the token server answered with JSON that is not an object');
    const token = answer.token ?? answer.access_token;
    if (!token || typeof token !== 'string') throw new RegistryError(method, url, 200, undefined, 'the token server answered without a token');
    const expiresIn = typeof answer.expires_in === 'number' && answer.expires_in > 0 ? answer.expires_in : DEFAULT_EXPIRY_S;
    return { token, expiresAt: this.now() + Math.max(1, expiresIn - EARLY_S) * 1000 };
  }
}
