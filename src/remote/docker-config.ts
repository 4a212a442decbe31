// Credentials from ~/.docker/config.json: {"auths": {"<key>": {"auth": base64("user:pass")}
// | {"username","password"}}}. Keys are written many ways (`registry:5000`,
// `https://registry:5000/v2/`), and Docker Hub's is `https://index.docker.io/v1/`.
// Credential helpers: "credHelpers" {"<host>": "<suffix>"} wins, then
// "credsStore"; a host with a helper gets the helper's answer (its "not
// found" is anonymous, as docker does), else the inline `auths` entry.
// An entry's "identitytoken" is a refresh token for the OAuth2 token flow.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from '../errors.js';
import { checkHelperName, runCredentialHelper, type HelperRunOptions } from './credential-helper.js';

export interface Credentials {
  username: string;
  password: string;
  /** An OAuth2 refresh token (docker's identity token): username and password are then empty. */
  identityToken?: string;
}

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
export interface DockerConfig { auths?: Record<string, AuthEntry>; credsStore?: string; credHelpers?: Record<string, string> }

function readDockerConfig(path: string): DockerConfig | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new InvalidArgumentError(`read docker config "${path}": ${(e as Error).message}`, { cause: e });
  }
  let cfg: unknown;
  try {
    cfg = JSON.parse(text);
  } catch (e) {
    throw new InvalidArgumentError(`docker config "${path}" is not valid JSON: ${(e as Error).message}`, { cause: e, hint: 'fix or remove the file' });
  }
  if (!cfg || typeof cfg !== 'object' || Array.isArray(cfg)) throw new InvalidArgumentError(`docker config "${path}" is not a JSON object`, { hint: 'fix or remove the file' });
  return cfg as DockerConfig;
}

/** The inline `auths` entry for hosts, in order (e.g. the mirror, then the registry domain). */
function inlineCredentials(cfg: DockerConfig, hosts: string[], path: string, log?: (l: string) => void): Credentials | undefined {
  const auths = cfg.auths && typeof cfg.auths === 'object' ? cfg.auths : {};
  for (const host of hosts) {
    const want = normaliseAuthKey(host);
    for (const [key, entry] of Object.entries(auths)) {
      if (normaliseAuthKey(key) !== want || !entry || typeof entry !== 'object') continue;
      const c = decodeEntry(entry, key, path);
      if (c) { log?.(`auth: using credentials for "${key}" from ${path}`); return c; }
    }
  }
  return undefined;
}

/** Inline credentials only (no helper is run); undefined when none match. */
export function lookupCredentials(hosts: string[], path = defaultDockerConfigPath(), log?: (l: string) => void): Credentials | undefined {
  const cfg = readDockerConfig(path);
  return cfg ? inlineCredentials(cfg, hosts, path, log) : undefined;
}

/** The helper suffix for a host: credHelpers (keys normalised like auths keys), else credsStore. */
export function helperFor(cfg: DockerConfig, host: string, path: string): string | undefined {
  const want = normaliseAuthKey(host);
  const helpers = cfg.credHelpers && typeof cfg.credHelpers === 'object' ? cfg.credHelpers : {};
  for (const [key, name] of Object.entries(helpers)) if (normaliseAuthKey(key) === want) return checkHelperName(name, path);
  if (cfg.credsStore !== undefined && cfg.credsStore !== '') return checkHelperName(cfg.credsStore, path);
  return undefined;
}

/**
 * Credentials for hosts, as docker finds them: for each host in order, its
 * credential helper when config.json names one (its "not found" moves on to
 * the next host), else its inline entry. Undefined means anonymous.
 */
export async function findCredentials(hosts: string[], path = defaultDockerConfigPath(), opts: { log?: (l: string) => void; helper?: HelperRunOptions } = {}): Promise<Credentials | undefined> {
  const cfg = readDockerConfig(path);
  if (!cfg) return undefined;
  for (const host of hosts) {
    const helper = helperFor(cfg, host, path);
    if (helper) {
      opts.log?.(`auth: asking docker-credential-${helper} for ${host}`);
      const c = await runCredentialHelper(helper, normaliseAuthKey(host), { ...opts.helper, configPath: path });
      if (c) return c;
      opts.log?.(`auth: docker-credential-${helper} has no credentials for ${host}`);
      continue;
    }
    const c = inlineCredentials(cfg, [host], path, opts.log);
    if (c) return c;
  }
  return undefined;
}

function decodeEntry(e: AuthEntry, key: string, path: string): Credentials | undefined {
  if (typeof e.identitytoken === 'string' && e.identitytoken) return { username: '', password: '', identityToken: e.identitytoken };
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
