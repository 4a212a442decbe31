// What the network tests share: a throwaway tsctr root with its own CNI
// network (own name, bridge, subnet), and the checks that nothing of it is
// left: no veth on the bridge, no host-local reservation, no iptables rule
// naming the container, the subnet or the bridge.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { test, type Test } from 'uvu';
import { rootTest } from '../../helpers/root.js';
import { Env } from '../../helpers/tsctr.js';

export const PLUGINS_DIR = ['/usr/lib/cni', '/opt/cni/bin'].find((d) => existsSync(join(d, 'bridge')));
export const HAVE_CNI = PLUGINS_DIR !== undefined && spawnSync('iptables', ['--version']).status === 0;

export interface TestNet { name: string; bridge: string; subnet: string; gateway: string }

export function makeNetwork(env: Env, net: TestNet): void {
  const r = env.run(['network', 'create', net.name, '--bridge', net.bridge, '--subnet', net.subnet]);
  if (r.code !== 0) throw new Error(`network create ${net.name}: ${r.stderr}`);
}

export const vethsOn = (bridge: string): string[] => existsSync(`/sys/class/net/${bridge}/brif`) ? readdirSync(`/sys/class/net/${bridge}/brif`) : [];

/** host-local's reservation files of a network (the lock and its last-reserved marker are not reservations). */
export function reservations(env: Env, network: string): string[] {
  const dir = join(env.state, 'cni', 'host-local', network);
  return existsSync(dir) ? readdirSync(dir).filter((f) => f !== 'lock' && !f.startsWith('last_reserved_ip')) : [];
}

export function iptablesLines(...needles: string[]): string[] {
  const out = spawnSync('sh', ['-c', 'iptables-save 2>/dev/null; ip6tables-save 2>/dev/null'], { encoding: 'utf8' }).stdout;
  return out.split('\n').filter((l) => needles.some((n) => l.includes(n)));
}

/** The addresses of a container, as tasks ls --json shows them. */
export function addressOf(env: Env, id: string): string | undefined {
  const rows = JSON.parse(env.run(['tasks', 'ls', '--json']).stdout || '[]') as { id: string; addresses: string[] }[];
  return rows.find((r) => r.id === id)?.addresses[0];
}

export function httpGet(host: string, port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path: '/', timeout: 3000 }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** Retries while the server in the container starts (bounded: a count of tries, not a time budget). */
export async function httpGetRetry(host: string, port: number, tries = 100): Promise<{ status: number; body: string }> {
  let last: unknown;
  for (let i = 0; i < tries; i++) {
    try { return await httpGet(host, port); } catch (e) { last = e; }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`GET http://${host}:${port}/: ${(last as Error).message}`);
}

export async function until<T>(f: () => T | undefined, what: string, tries = 200): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = f();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** Everything a test may have left, removed even when it failed: containers, the network (bridge, chains), the dirs. */
export function cleanupNet(env: Env, nets: TestNet[]): void {
  env.run(['containers', 'ls']);
  for (const id of env.run(['containers', 'ls', '-q']).stdout.split('\n').filter(Boolean)) env.run(['containers', 'rm', '--force', id]);
  for (const n of nets) {
    env.run(['network', 'rm', n.name]);
    if (existsSync(`/sys/class/net/${n.bridge}`)) spawnSync('ip', ['link', 'delete', 'dev', n.bridge]);
  }
  env.cleanup();
}

export function readIn(env: Env, id: string, path: string): string {
  const r = env.run(['tasks', 'exec', id, 'cat', path]);
  if (r.code !== 0) throw new Error(`tasks exec ${id} cat ${path}: ${r.stderr}`);
  return r.stdout;
}

export function procAlive(pid: number): boolean {
  try { readFileSync(`/proc/${pid}/stat`); return true; } catch { return false; }
}

/** A test that needs root, the CNI plugins and iptables; says why it skips otherwise. */
export function cniTest(t: Test, name: string, fn: () => void | Promise<void>): void {
  if (HAVE_CNI) rootTest(t, name, fn);
  else console.log(`  SKIP ${name}: containernetworking-plugins or iptables not installed (apt-get install containernetworking-plugins iptables)`);
}

/**
 * The set-up the network files share: a throwaway root with the fixture
 * imported and `nets` made before the tests (root and CNI only), and after
 * them `after()`, then every container and every network of `nets` and
 * `alsoRemove` removed, even when a test failed.
 */
export function networkSuite(name: string, nets: TestNet[], o: { alsoRemove?: TestNet[]; before?: (env: Env) => void; after?: () => void } = {}): Env {
  const env = new Env(name);
  test.before(() => {
    o.before?.(env);
    if (process.geteuid?.() !== 0 || !HAVE_CNI) return;
    env.importFixture();
    for (const n of nets) makeNetwork(env, n);
  });
  test.after(() => {
    try { o.after?.(); } finally { cleanupNet(env, [...nets, ...(o.alsoRemove ?? [])]); }
  });
  return env;
}
