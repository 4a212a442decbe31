// Credentials from ~/.docker/config.json: {"auths": {"<key>": {"auth": base64("user:pass")}
// | {"username","password"}}}. Keys are written many ways (`registry:5000`,
// `https://registry:5000/v2/`), and Docker Hub's is `https://index.docker.io/v1/`.
// Credential helpers (credsStore/credHelpers) are not run: that would execute
// other programs; we say so in the debug log instead.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from '../errors.js';

export interface Credentials { username: string; password: string }

const HUB_ALIASES = ['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com'];

export function defaultDockerConfigPath(): string {
  const dir = process.env.DOCKER_CONFIG ?? join(homedir(), '.docker');
  return join(dir, 'config.json');
}

/** `https://host:port/v1/` → `host:port`. */
export function normaliseAuthKey(key: string): string {
  let k = key.trim().replace(/^[a-z]+:\/\//i, '');
  const slash = k.indexOf('/');
  if (slash >= 0) k = k.slice(0, slash);
  k = k.toLowerCase();
  return HUB_ALIASES.includes(k) ? 'docker.io' : k;
}

interface AuthEntry { auth?: string; username?: string; password?: string; identitytoken?: string }
interface DockerConfig { auths?: Record<string, AuthEntry>; credsStore?: string; credHelpers?: Record<string, string> }

/** Looks hosts up in order (e.g. the mirror, then the registry domain); undefined when none match. */
export function lookupCredentials(hosts: string[], path = defaultDockerConfigPath(), log?: (l: string) => void): Credentials | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new InvalidArgumentError(`read docker config "${path}": ${(e as Error).message}`, { cause: e });
  }
  let cfg: DockerConfig;
  try {
    cfg = JSON.parse(text) as DockerConfig;
  } catch (e) {
    throw new InvalidArgumentError(`docker config "${path}" is not valid JSON: ${(e as Error).message}`, { cause: e, hint: 'fix or remove the file' });
  }
  const auths = cfg.auths ?? {};
  for (const host of hosts) {
    const want = normaliseAuthKey(host);
    for (const [key, entry] of Object.entries(auths)) {
      if (normaliseAuthKey(key) !== want || !entry) continue;
      const c = decodeEntry(entry, key, path);
      if (c) { log?.(`auth: using credentials for "${key}" from ${path}`); return c; }
    }
    if (cfg.credHelpers?.[host] || cfg.credsStore) log?.(`auth: ${path} names a credential helper; helpers are not supported, use --user`);
  }
  return undefined;
}

function decodeEntry(e: AuthEntry, key: string, path: string): Credentials | undefined {
  if (e.auth) {
    const s = Buffer.from(e.auth, 'base64').toString('utf8');
    const colon = s.indexOf(':');
    if (colon < 0) throw new InvalidArgumentError(`docker config "${path}": auth for "${key}" does not decode to user:password`);
    return { username: s.slice(0, colon), password: s.slice(colon + 1) };
  }
  if (e.username !== undefined && e.password !== undefined) return { username: e.username, password: e.password };
  return undefined;
}

/** `user[:password]` from --user. */
export function parseUserFlag(user: string): { username: string; password?: string } {
  const colon = user.indexOf(':');
  if (colon === 0) throw new InvalidArgumentError('--user: the user name is empty', { hint: 'use --user name[:password]' });
  return colon < 0 ? { username: user } : { username: user.slice(0, colon), password: user.slice(colon + 1) };
}
