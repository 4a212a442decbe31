// Which servers answer for a registry domain: containerd's hosts.toml
// (docs/hosts.md). <hostsDir>/<host[:port]>/hosts.toml, else
// <hostsDir>/_default/hosts.toml:
//
//   server = "https://registry.example.com"        # upstream, tried last
//   [host."https://mirror.example.com"]             # tried in file order
//     capabilities = ["pull", "resolve"]
//     skip_verify = true
//     ca = "/etc/certs/mirror.pem"                   # or a list; relative to the file's directory
//     override_path = true                           # the URL path is the API root (no /v2 appended)
//     [host."https://mirror.example.com".header]
//       x-custom = "1"
//
// Without a hosts.toml, a directory holding *.crt files still adds them as CAs
// (the older certs.d layout).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { InvalidArgumentError } from '../errors.js';
import { apiHost } from '../reference/index.js';
import { parseToml, type TomlTable, type TomlValue } from './toml.js';

export type Capability = 'pull' | 'resolve' | 'push';
const ALL_CAPS: Capability[] = ['pull', 'resolve', 'push'];

export interface Endpoint {
  scheme: 'http' | 'https';
  /** host[:port] to connect to. */
  host: string;
  /** API root path, normally `/v2`. */
  path: string;
  capabilities: Capability[];
  skipVerify: boolean;
  caFiles: string[];
  headers: Record<string, string>;
  /** True for a [host] entry other than the upstream server: requests get `?ns=<domain>`. */
  mirror: boolean;
}

export interface HostsOptions { plainHttp?: boolean; skipVerify?: boolean; tlsCaCert?: string[]; hostsDir?: string }

function strings(v: TomlValue | undefined, what: string, file: string): string[] {
  if (v === undefined) return [];
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  throw new InvalidArgumentError(`${file}: ${what} must be a string or a list of strings`);
}

function endpointFromUrl(raw: string, file: string, overridePath: boolean): Pick<Endpoint, 'scheme' | 'host' | 'path'> {
  let u: URL;
  try {
    u = new URL(raw.includes('://') ? raw : `https://${raw}`);
  } catch {
    throw new InvalidArgumentError(`${file}: "${raw}" is not a URL`, { hint: 'write hosts as "https://host[:port]"' });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new InvalidArgumentError(`${file}: "${raw}": scheme must be http or https`);
  let path = u.pathname.replace(/\/+$/, '');
  if (!overridePath && !path.endsWith('/v2')) path += '/v2';
  return { scheme: u.protocol === 'http:' ? 'http' : 'https', host: u.host, path };
}

function hostEntry(url: string, t: TomlTable, dir: string, file: string): Endpoint {
  const caps = strings(t.capabilities, 'capabilities', file);
  for (const c of caps) if (!ALL_CAPS.includes(c as Capability)) throw new InvalidArgumentError(`${file}: unknown capability "${c}" (pull, resolve, push)`);
  if (t.skip_verify !== undefined && typeof t.skip_verify !== 'boolean') throw new InvalidArgumentError(`${file}: skip_verify must be true or false`);
  const headers: Record<string, string> = {};
  if (t.header && typeof t.header === 'object' && !Array.isArray(t.header)) {
    for (const [k, v] of Object.entries(t.header)) headers[k.toLowerCase()] = strings(v, `header ${k}`, file).join(', ');
  }
  return {
    ...endpointFromUrl(url, file, t.override_path === true),
    capabilities: caps.length ? (caps as Capability[]) : [...ALL_CAPS],
    skipVerify: t.skip_verify === true,
    caFiles: strings(t.ca, 'ca', file).map((p) => (isAbsolute(p) ? p : join(dir, p))),
    headers,
    mirror: true,
  };
}

/** Parses a hosts.toml text into the ordered endpoint list (mirrors first, the server last). */
export function parseHostsToml(text: string, domain: string, opts: { dir?: string; file?: string; plainHttp?: boolean } = {}): Endpoint[] {
  const file = opts.file ?? 'hosts.toml';
  const dir = opts.dir ?? '.';
  const doc = parseToml(text, file);
  const out: Endpoint[] = [];
  const hosts = doc.host;
  if (hosts !== undefined) {
    if (typeof hosts !== 'object' || Array.isArray(hosts)) throw new InvalidArgumentError(`${file}: [host."<url>"] must be tables`);
    for (const [url, t] of Object.entries(hosts)) {
      if (typeof t !== 'object' || Array.isArray(t)) throw new InvalidArgumentError(`${file}: host "${url}" must be a table`);
      out.push(hostEntry(url, t, dir, file));
    }
  }
  let server: Endpoint;
  if (typeof doc.server === 'string') {
    server = { ...hostEntry(doc.server, doc, dir, file), mirror: false };
  } else {
    if (doc.server !== undefined) throw new InvalidArgumentError(`${file}: server must be a string URL`);
    server = { ...defaultEndpoint(domain, opts.plainHttp), ...pickTop(doc, dir, file) };
  }
  if (!out.some((e) => e.scheme === server.scheme && e.host === server.host && e.path === server.path)) out.push(server);
  return out;
}

function pickTop(doc: TomlTable, dir: string, file: string): Partial<Endpoint> {
  // Top-level capabilities/skip_verify/ca apply to the default server.
  const caps = strings(doc.capabilities, 'capabilities', file) as Capability[];
  return {
    ...(caps.length ? { capabilities: caps } : {}),
    ...(doc.skip_verify === true ? { skipVerify: true } : {}),
    ...(doc.ca !== undefined ? { caFiles: strings(doc.ca, 'ca', file).map((p) => (isAbsolute(p) ? p : join(dir, p))) } : {}),
  };
}

export function defaultEndpoint(domain: string, plainHttp = false): Endpoint {
  return { scheme: plainHttp ? 'http' : 'https', host: apiHost(domain), path: '/v2', capabilities: [...ALL_CAPS], skipVerify: false, caFiles: [], headers: {}, mirror: false };
}

/** Endpoints for a domain, with the global flags (--plain-http, --skip-verify, --tlscacert) applied. */
export function resolveEndpoints(domain: string, opts: HostsOptions): Endpoint[] {
  let eps: Endpoint[] | undefined;
  if (opts.hostsDir) {
    for (const name of [domain, '_default']) {
      const dir = join(opts.hostsDir, name);
      const file = join(dir, 'hosts.toml');
      if (existsSync(file)) {
        eps = parseHostsToml(readFileSync(file, 'utf8'), domain, { dir, file, plainHttp: opts.plainHttp });
        break;
      }
      if (name === domain && existsSync(dir)) {
        const crts = readdirSync(dir).filter((f) => f.endsWith('.crt')).map((f) => join(dir, f));
        if (crts.length) { eps = [{ ...defaultEndpoint(domain, opts.plainHttp), caFiles: crts }]; break; }
      }
    }
  }
  eps ??= [defaultEndpoint(domain, opts.plainHttp)];
  return eps.map((e) => ({
    ...e,
    skipVerify: e.skipVerify || opts.skipVerify === true,
    caFiles: [...e.caFiles, ...(opts.tlsCaCert ?? [])],
  }));
}

export function endpointUrl(e: Endpoint): string {
  return `${e.scheme}://${e.host}${e.path}`;
}
