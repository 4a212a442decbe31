// Helpers for the images integration tests: run the CLI without blocking
// the event loop (the token server runs in this process), registry flags
// per mode, and a private containerd for ctr interop.
import { spawnSync } from 'node:child_process';
import type { Env, Result } from '../../helpers/tsctr.js';
import type { TestRegistry } from '../../helpers/registry.js';

export function runAsync(env: Env, args: string[], opts: { timeout?: number; env?: NodeJS.ProcessEnv } = {}): Promise<Result> {
  return new Promise((resolve) => {
    const p = env.spawn(args, { stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env });
    let stdout = '';
    let stderr = '';
    p.stdout!.on('data', (d: Buffer) => { stdout += d; });
    p.stderr!.on('data', (d: Buffer) => { stderr += d; });
    const t = setTimeout(() => p.kill('SIGKILL'), opts.timeout ?? 120_000);
    p.on('close', (code, signal) => { clearTimeout(t); resolve({ code, signal, stdout, stderr }); });
  });
}

/** tsctr's (and ctr's) registry flags for a test registry. */
export function registryFlags(reg: TestRegistry): string[] {
  const f: string[] = [];
  if (reg.mode === 'tls') f.push('--tlscacert', reg.caFile!);
  else f.push('--plain-http');
  if (reg.user) f.push('--user', `${reg.user}:${reg.password}`);
  return f;
}

export function hasTool(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
}

export { startContainerd, type Containerd } from '../../helpers/containerd.js';
