// What a CNI plugin prints is untrusted input: its result (ADD) or its error
// (any command), in CNI spec versions 0.3.x, 0.4.0 and 1.0.0 (SPEC.md,
// "Result" and "Error"). Parsed strictly, with limits; the malicious-input
// suite is test/unit/container/network/cni-result.test.ts.
import { isIP } from 'node:net';

/** CNI spec versions whose results we read. CHECK exists from 0.4.0 on. */
export const CNI_VERSIONS = ['0.3.0', '0.3.1', '0.4.0', '1.0.0'] as const;
export const MAX_PLUGIN_OUTPUT = 1 << 20;
const MAX_ENTRIES = 256;

export interface CniInterface { name: string; mac?: string; sandbox?: string }
export interface CniIp { address: string; gateway?: string; interface?: number }
export interface CniRoute { dst: string; gw?: string }
export interface CniDns { nameservers: string[]; domain?: string; search: string[]; options: string[] }
export interface CniResult {
  cniVersion: string;
  interfaces: CniInterface[];
  ips: CniIp[];
  routes: CniRoute[];
  dns: CniDns;
  /** The plugin's JSON as parsed: what the next plugin gets as prevResult. */
  raw: Record<string, unknown>;
}

/** A plugin's output that does not follow the spec. */
export class CniResultError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CniResultError';
  }
}

/** A plugin's own error report (SPEC.md "Error"): code, msg, details. */
export interface CniErrorReport { code: number; msg: string; details?: string }

type Json = Record<string, unknown>;

function fail(msg: string): never {
  throw new CniResultError(msg);
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseJsonObject(text: string, what: string): Json {
  if (text.length > MAX_PLUGIN_OUTPUT) fail(`${what} is larger than ${MAX_PLUGIN_OUTPUT} bytes`);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    fail(`${what} is not JSON (${(e as Error).message})`);
  }
  if (!isObject(v)) fail(`${what} is not a JSON object`);
  return v;
}

function str(v: unknown, where: string, max = 4096): string {
  if (typeof v !== 'string') fail(`${where}: expected a string, got ${typeName(v)}`);
  if (v.length > max) fail(`${where}: longer than ${max} characters`);
  if (/[\0\n\r]/.test(v)) fail(`${where}: contains a control character`);
  return v;
}

function optStr(v: unknown, where: string, max?: number): string | undefined {
  return v === undefined || v === null ? undefined : str(v, where, max);
}

function list(v: unknown, where: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) fail(`${where}: expected an array, got ${typeName(v)}`);
  if (v.length > MAX_ENTRIES) fail(`${where}: more than ${MAX_ENTRIES} entries`);
  return v;
}

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v;
}

export function checkIp(v: unknown, where: string): string {
  const s = str(v, where, 64);
  if (!isIP(s)) fail(`${where}: "${s}" is not an IP address`);
  return s;
}

/** "10.0.0.2/24": an address with a prefix length valid for its family. */
export function checkCidr(v: unknown, where: string): string {
  const s = str(v, where, 64);
  const m = /^([^/]+)\/([0-9]{1,3})$/.exec(s);
  const fam = m ? isIP(m[1]!) : 0;
  if (!m || !fam) fail(`${where}: "${s}" is not an address/prefix`);
  if (Number(m[2]) > (fam === 4 ? 32 : 128)) fail(`${where}: "${s}" has a prefix longer than ${fam === 4 ? 32 : 128}`);
  return s;
}

function checkVersion(v: unknown, where: string): string {
  const s = str(v, where, 16);
  if (!(CNI_VERSIONS as readonly string[]).includes(s)) fail(`${where}: CNI version "${s}" is not one tsctr reads (${CNI_VERSIONS.join(', ')})`);
  return s;
}

/** Parses an ADD (or 0.4.0+ CHECK-less) result. */
export function parseCniResult(text: string): CniResult {
  const raw = parseJsonObject(text, 'plugin result');
  const cniVersion = checkVersion(raw.cniVersion, 'cniVersion');
  const interfaces = list(raw.interfaces, 'interfaces').map((x, i): CniInterface => {
    const w = `interfaces[${i}]`;
    if (!isObject(x)) fail(`${w}: expected an object`);
    const name = str(x.name, `${w}.name`, 15);
    if (!/^[^\s/:]{1,15}$/.test(name)) fail(`${w}.name: "${name}" is not an interface name`);
    const mac = optStr(x.mac, `${w}.mac`, 64);
    if (mac && !/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5,19}$/.test(mac)) fail(`${w}.mac: "${mac}" is not a MAC address`);
    return { name, mac, sandbox: optStr(x.sandbox, `${w}.sandbox`) };
  });
  const ips = list(raw.ips, 'ips').map((x, i): CniIp => {
    const w = `ips[${i}]`;
    if (!isObject(x)) fail(`${w}: expected an object`);
    const address = checkCidr(x.address, `${w}.address`);
    const gateway = x.gateway === undefined || x.gateway === null ? undefined : checkIp(x.gateway, `${w}.gateway`);
    let iface: number | undefined;
    if (x.interface !== undefined && x.interface !== null) {
      if (!Number.isInteger(x.interface) || (x.interface as number) < 0 || (x.interface as number) >= interfaces.length) fail(`${w}.interface: ${JSON.stringify(x.interface)} is not an index into interfaces`);
      iface = x.interface as number;
    }
    // 0.3.x and 0.4.0 say the family; 1.0.0 dropped the field.
    if (cniVersion !== '1.0.0' && x.version !== undefined) {
      const fam = isIP(address.split('/')[0]!);
      if (x.version !== String(fam)) fail(`${w}.version: ${JSON.stringify(x.version)} does not match the address ${address}`);
    }
    return { address, gateway, interface: iface };
  });
  const routes = list(raw.routes, 'routes').map((x, i): CniRoute => {
    if (!isObject(x)) fail(`routes[${i}]: expected an object`);
    return { dst: checkCidr(x.dst, `routes[${i}].dst`), gw: x.gw === undefined || x.gw === null ? undefined : checkIp(x.gw, `routes[${i}].gw`) };
  });
  return { cniVersion, interfaces, ips, routes, dns: parseDns(raw.dns), raw };
}

function parseDns(v: unknown): CniDns {
  if (v === undefined || v === null) return { nameservers: [], search: [], options: [] };
  if (!isObject(v)) fail('dns: expected an object');
  const words = (x: unknown, w: string) => list(x, w).slice(0, 32).map((s, i) => {
    const t = str(s, `${w}[${i}]`, 253);
    if (/\s/.test(t)) fail(`${w}[${i}]: "${t}" contains whitespace`);
    return t;
  });
  const domain = optStr(v.domain, 'dns.domain', 253);
  if (domain && /\s/.test(domain)) fail(`dns.domain: "${domain}" contains whitespace`);
  return {
    nameservers: list(v.nameservers, 'dns.nameservers').map((s, i) => checkIp(s, `dns.nameservers[${i}]`)),
    domain,
    search: words(v.search, 'dns.search'),
    options: words(v.options, 'dns.options'),
  };
}

/**
 * A failing plugin's stdout: its error report, or undefined when it printed
 * none (then its stderr is all there is).
 */
export function parseCniError(text: string): CniErrorReport | undefined {
  let o: Json;
  try {
    o = parseJsonObject(text.trim(), 'plugin error');
  } catch {
    return undefined;
  }
  if (!Number.isInteger(o.code) || typeof o.msg !== 'string') return undefined;
  const clip = (s: string) => s.replace(/[\0-\x1f\x7f]+/g, ' ').slice(0, 1000);
  return { code: o.code as number, msg: clip(o.msg), details: typeof o.details === 'string' && o.details ? clip(o.details) : undefined };
}

/** The addresses of the container's interfaces (those in its sandbox), without prefixes. */
export function containerAddresses(r: CniResult): string[] {
  return r.ips
    .filter((ip) => ip.interface === undefined || r.interfaces[ip.interface]?.sandbox)
    .map((ip) => ip.address.split('/')[0]!);
}
