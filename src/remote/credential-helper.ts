// Docker credential helpers (github.com/docker/docker-credential-helpers):
// config.json names them by suffix, in "credsStore" (every registry) or
// "credHelpers" ({"<host>": "<suffix>"}, which wins). We run
//
//   docker-credential-<suffix> get      stdin: the server URL (the host, or
//                                       https://index.docker.io/v1/ for Docker Hub)
//   stdout: {"ServerURL": "...", "Username": "...", "Secret": "..."}
//
// Username "<token>" means Secret is an identity token: a refresh token for
// the OAuth2 token endpoint, never a password. A helper that has nothing
// for the server exits non-zero and prints "credentials not found in native
// keychain": that is anonymous access, as docker does.
//
// The helper is another program and its answer is untrusted: the name must
// be a plain suffix (no path), the output is capped, it must finish within
// a timeout, and nothing it printed is echoed if it could hold the secret.
import { spawn } from 'node:child_process';
import { FailedPreconditionError, InvalidArgumentError } from '../errors.js';
import type { Credentials } from './docker-config.js';

export const HELPER_PREFIX = 'docker-credential-';
/** The message docker-credential-helpers prints when it has no entry (credentials/error.go). */
export const NOT_FOUND_MESSAGE = 'credentials not found in native keychain';
export const TOKEN_USERNAME = '<token>';
export const MAX_HELPER_OUTPUT = 64 * 1024;
export const DEFAULT_HELPER_TIMEOUT_MS = 60_000;

export interface HelperRunOptions {
  timeoutMs?: number;
  maxOutput?: number;
  env?: NodeJS.ProcessEnv;
  /** Where the helper was named, for hints ("~/.docker/config.json"). */
  configPath?: string;
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** A helper suffix from config.json; a path or anything odd is refused (it would run another program). */
export function checkHelperName(name: unknown, configPath = 'docker config'): string {
  if (typeof name !== 'string' || !NAME_RE.test(name)) {
    throw new InvalidArgumentError(`${configPath}: credential helper name ${JSON.stringify(String(name).slice(0, 80))} is not a plain name`, { hint: `use the suffix of a ${HELPER_PREFIX}<name> program on PATH` });
  }
  return name;
}

/** The server URL docker passes for a host: Docker Hub's legacy index URL, else the host itself. */
export function helperServerUrl(host: string): string {
  return host === 'docker.io' ? 'https://index.docker.io/v1/' : host;
}

/** Printable, one line, short: for messages that quote a helper. */
function tidy(s: string): string {
  return s.replace(/[\x00-\x1f\x7f]+/g, ' ').trim().slice(0, 200);
}

/**
 * The helper's stdout for a successful `get`: credentials, or undefined when
 * it holds an empty entry. `program` names the helper in errors. Output that
 * is not the expected JSON is refused without echoing it (it may hold the secret).
 */
export function parseHelperOutput(program: string, stdout: string): Credentials | undefined {
  let v: unknown;
  try {
    v = JSON.parse(stdout);
  } catch {
    throw new FailedPreconditionError(`${program} get: answered with something that is not JSON (${Buffer.byteLength(stdout)} bytes)`, { hint: 'check the credential helper' });
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new FailedPreconditionError(`${program} get: answered with JSON that is not an object`, { hint: 'check the credential helper' });
  const o = v as Record<string, unknown>;
  const username = o.Username ?? '';
  const secret = o.Secret ?? '';
  if (typeof username !== 'string' || typeof secret !== 'string') throw new FailedPreconditionError(`${program} get: Username and Secret must be strings`, { hint: 'check the credential helper' });
  if (secret === '') return undefined;
  if (username === TOKEN_USERNAME) return { username: '', password: '', identityToken: secret };
  // RFC 7617: a user-id with a colon cannot be sent as Basic credentials.
  if (username.includes(':')) throw new FailedPreconditionError(`${program} get: the user name contains ":"`, { hint: 'check the entry in the credential store' });
  if (/[\x00-\x1f\x7f]/.test(username + secret)) throw new FailedPreconditionError(`${program} get: the credentials contain control characters`, { hint: 'check the entry in the credential store' });
  return { username, password: secret };
}

/**
 * Runs `docker-credential-<name> get` for host. Resolves to credentials,
 * or undefined for "not found" (anonymous). Other failures throw one line
 * naming the helper and what it said.
 */
export function runCredentialHelper(name: string, host: string, opts: HelperRunOptions = {}): Promise<Credentials | undefined> {
  const program = HELPER_PREFIX + checkHelperName(name, opts.configPath);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_HELPER_TIMEOUT_MS;
  const max = opts.maxOutput ?? MAX_HELPER_OUTPUT;
  const where = opts.configPath ?? 'the docker config';
  return new Promise((resolve, reject) => {
    const child = spawn(program, ['get'], { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env ?? process.env });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outLen = 0;
    let errLen = 0;
    let failure: Error | undefined;
    const stop = (e: Error) => {
      failure ??= e;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => stop(new FailedPreconditionError(`${program} get ${host}: no answer within ${timeoutMs / 1000} s`, { hint: `the helper hangs (waiting for a password prompt?); fix it, or remove it from ${where}` })), timeoutMs);
    child.stdout.on('data', (d: Buffer) => {
      outLen += d.length;
      if (outLen > max) return stop(new FailedPreconditionError(`${program} get ${host}: answered with more than ${max >> 10} KiB`, { hint: 'check the credential helper' }));
      out.push(d);
    });
    child.stderr.on('data', (d: Buffer) => {
      if (errLen < 4096) err.push(d);
      errLen += d.length;
    });
    // A helper that exits without reading stdin makes the write fail with EPIPE: its exit status tells.
    child.stdin.on('error', () => {});
    child.stdin.end(helperServerUrl(host));
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (e.code === 'ENOENT') reject(new FailedPreconditionError(`${program}: not found on PATH (named as a credential helper in ${where})`, { hint: `install ${program}, or remove it from ${where}` }));
      else reject(new FailedPreconditionError(`${program}: cannot run: ${e.code ?? e.message}`, { cause: e, hint: `check ${program}, or remove it from ${where}` }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (failure) return reject(failure);
      const stdout = Buffer.concat(out).toString('utf8');
      if (code !== 0) {
        const said = tidy(stdout) || tidy(Buffer.concat(err).toString('utf8'));
        if (said === NOT_FOUND_MESSAGE) return resolve(undefined);
        return reject(new FailedPreconditionError(`${program} get ${host}: ${signal ? `killed by ${signal}` : `exit ${code}`}${said ? `: ${said}` : ''}`, { hint: `fix the credential helper, or remove it from ${where}` }));
      }
      try {
        resolve(parseHelperOutput(`${program}`, stdout));
      } catch (e) {
        reject(e);
      }
    });
  });
}
