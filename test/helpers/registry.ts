// Starts Debian's docker-registry (CNCF distribution 2.8) on 127.0.0.1 for
// integration tests, in four set-ups:
//   plain  HTTP, no auth
//   tls    HTTPS with a CA made here by openssl (caFile is its PEM)
//   basic  HTTP + htpasswd Basic auth (user/password)
//   token  HTTP + Bearer tokens from a token server run here (token-server.ts)
// Each registry gets its own temp dir and port, is stopped by its own PID,
// and a process 'exit' hook kills whatever a failed test left running.
// Suites add `test.after(stopAllRegistries)`.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTokenServer, type TokenServer } from './registry-token.js';

export const REGISTRY_BIN = '/usr/bin/docker-registry';
export type RegistryMode = 'plain' | 'tls' | 'basic' | 'token';

export interface TestRegistry {
  mode: RegistryMode;
  /** 127.0.0.1:PORT — use as the reference domain. */
  host: string;
  /** http(s)://127.0.0.1:PORT */
  url: string;
  caFile?: string;
  user?: string;
  password?: string;
  /** token mode: the token server (counts issued tokens). */
  tokenServer?: TokenServer;
  /** token mode: an identity (OAuth2 refresh) token the token server takes for `user`. */
  refreshToken?: string;
  dir: string;
  /** The registry's own log so far (for failure messages). */
  log(): string;
  stop(): Promise<void>;
}

/** Why the registry cannot run here, or undefined when it can. */
export function registryUnavailable(): string | undefined {
  if (!existsSync(REGISTRY_BIN)) return `${REGISTRY_BIN} is not installed (apt-get install docker-registry)`;
  for (const tool of ['openssl', 'htpasswd']) {
    try { execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }); } catch { return `${tool} is not installed`; }
  }
  return undefined;
}

const live = new Set<{ child: ChildProcess; dir: string }>();
const running = new Set<TestRegistry>();
function killAllNow(): void {
  for (const l of live) {
    try { if (l.child.exitCode === null && l.child.pid) process.kill(l.child.pid, 'SIGKILL'); } catch { /* already gone */ }
    try { rmSync(l.dir, { recursive: true, force: true }); } catch { /* best effort */ }
  }
  live.clear();
}
process.on('exit', killAllNow);
// A test run killed by a signal does not emit 'exit': clean up, then die of the same signal.
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(sig, () => {
    killAllNow();
    process.kill(process.pid, sig);
  });
}

export async function stopAllRegistries(): Promise<void> {
  for (const r of [...running]) await r.stop();
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A CA and a server certificate for 127.0.0.1/localhost, signed by it. */
export function makeTlsFiles(dir: string): { caFile: string; certFile: string; keyFile: string } {
  openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=tsctr test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1']);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n');
  openssl(dir, ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'server.ext']);
  return { caFile: join(dir, 'ca.pem'), certFile: join(dir, 'server.pem'), keyFile: join(dir, 'server.key') };
}

/** Polls /v2/ until the registry answers (200 or 401) or the process dies. */
async function waitReady(url: string, caFile: string | undefined, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}:\n${log()}`);
    const status = await new Promise<number>((resolve) => {
      const mod = url.startsWith('https:') ? https : http;
      const req = mod.get(`${url}/v2/`, { ca: caFile ? readFileSync(caFile) : undefined, agent: false }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
      req.on('error', () => resolve(0));
      req.setTimeout(1000, () => req.destroy());
    });
    if (status === 200 || status === 401) return;
    if (Date.now() > deadline) throw new Error(`docker-registry did not answer ${url}/v2/ within 15 s:\n${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startRegistry(o: { mode: RegistryMode }): Promise<TestRegistry> {
  const why = registryUnavailable();
  if (why) throw new Error(why);
  const dir = mkdtempSync(join(tmpdir(), `tsctr-registry-${o.mode}-`));
  let tokenServer: TokenServer | undefined;
  try {
    const user = 'tsctr';
    const password = 'sekret-' + Math.random().toString(36).slice(2, 8);
    const refreshToken = 'refresh-' + Math.random().toString(36).slice(2, 10);
    let tls: ReturnType<typeof makeTlsFiles> | undefined;
    let auth = '';
    if (o.mode === 'tls') tls = makeTlsFiles(dir);
    if (o.mode === 'basic') {
      writeFileSync(join(dir, 'htpasswd'), execFileSync('htpasswd', ['-Bbn', user, password]));
      auth = `auth:\n  htpasswd:\n    realm: tsctr-test\n    path: ${join(dir, 'htpasswd')}\n`;
    }
    if (o.mode === 'token') {
      openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'token.key', '-out', 'token.pem', '-days', '2', '-subj', '/CN=tsctr test token signer']);
      tokenServer = await startTokenServer({ certPem: join(dir, 'token.pem'), keyPem: join(dir, 'token.key'), issuer: 'tsctr-test-issuer', service: 'tsctr-test-registry', user, password, refreshToken });
      auth = `auth:\n  token:\n    realm: ${tokenServer.url}\n    service: tsctr-test-registry\n    issuer: tsctr-test-issuer\n    rootcertbundle: ${join(dir, 'token.pem')}\n`;
    }
    for (let tries = 1; ; tries++) {
      const port = await freePort();
      const config = [
        'version: 0.1',
        'log:\n  level: info\n  accesslog:\n    disabled: true',
        `storage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\n  delete:\n    enabled: true`,
        `http:\n  addr: 127.0.0.1:${port}\n  secret: tsctr-test-secret` + (tls ? `\n  tls:\n    certificate: ${tls.certFile}\n    key: ${tls.keyFile}` : ''),
        auth,
      ].join('\n');
      writeFileSync(join(dir, 'config.yml'), config);
      const child = spawn(REGISTRY_BIN, ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
      const entry = { child, dir };
      live.add(entry);
      let logText = '';
      const keep = (d: Buffer) => { logText = (logText + d.toString()).slice(-64 * 1024); };
      child.stdout!.on('data', keep);
      child.stderr!.on('data', keep);
      const scheme = tls ? 'https' : 'http';
      const url = `${scheme}://127.0.0.1:${port}`;
      try {
        await waitReady(url, tls?.caFile, child, () => logText);
      } catch (err) {
        await killChild(child);
        live.delete(entry);
        if (tries < 3 && /address already in use/.test(logText)) continue;
        throw err;
      }
      let stopped = false;
      const reg: TestRegistry = {
        mode: o.mode, host: `127.0.0.1:${port}`, url, dir, tokenServer, refreshToken: tokenServer ? refreshToken : undefined,
        caFile: tls?.caFile,
        user: o.mode === 'basic' || o.mode === 'token' ? user : undefined,
        password: o.mode === 'basic' || o.mode === 'token' ? password : undefined,
        log: () => logText,
        stop: async () => {
          if (stopped) return;
          stopped = true;
          running.delete(reg);
          await killChild(child);
          live.delete(entry);
          await tokenServer?.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
      running.add(reg);
      return reg;
    }
  } catch (err) {
    await tokenServer?.close();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

async function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || !child.pid) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  process.kill(child.pid, 'SIGTERM');
  const t = setTimeout(() => { try { process.kill(child.pid!, 'SIGKILL'); } catch { /* gone */ } }, 3000);
  await exited;
  clearTimeout(t);
}
