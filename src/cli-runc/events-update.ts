// events and update: parse runc's flags, call the core (src/oci/events.ts,
// src/oci/update.ts), print. Kept apart from process.ts so exec's work there
// and ours do not touch the same lines.
import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from '../errors.js';
import { encodeJson } from '../oci/cgroups/index.js';
import { followEvents, statsEvent } from '../oci/events.js';
import { parseResources, resourcesFromFlags, MAX_RESOURCES_BYTES, type UpdateFlags } from '../oci/resources-json.js';
import { parseDuration } from '../oci/units.js';
import { updateContainer } from '../oci/update.js';
import { openRuntime, out } from './runtime.js';
import { warn } from './report.js';

export async function runEvents(id: string, once: boolean, interval: string): Promise<void> {
  const ms = parseDuration(interval, 'interval');
  if (ms <= 0) throw new InvalidArgumentError('duration interval must be greater than 0');
  const rt = await openRuntime();
  if (once) { out(encodeJson(statsEvent(rt, id)) + '\n'); return; }
  const f = followEvents(rt, id, {
    intervalMs: Math.max(1, ms),
    emit: (e) => out(encodeJson(e) + '\n'),
    onError: (e) => warn(`events ${id}: ${(e as Error).message}`),
  });
  for (const s of ['SIGINT', 'SIGTERM'] as const) process.once(s, f.stop);
  await f.done;
}

const FLAG_NAMES: (keyof UpdateFlags)[] = ['memory', 'memory-reservation', 'memory-swap', 'kernel-memory', 'kernel-memory-tcp', 'cpu-shares', 'cpu-period', 'cpu-quota',
  'cpu-rt-period', 'cpu-rt-runtime', 'cpuset-cpus', 'cpuset-mems', 'pids-limit', 'blkio-weight', 'l3-cache-schema', 'mem-bw-schema'];

export async function runUpdate(id: string, a: Record<string, unknown>): Promise<void> {
  const file = a.resources as string | undefined;
  let resources;
  if (file !== undefined) {
    const text = readInput(file);
    resources = parseResources(text, file === '-' ? 'update --resources (stdin)' : `update --resources ${file}`);
  } else {
    const flags: UpdateFlags = {};
    for (const k of FLAG_NAMES) if (a[k] !== undefined) flags[k] = String(a[k]);
    resources = resourcesFromFlags(flags);
  }
  const r = await updateContainer(await openRuntime(), id, resources);
  for (const w of r.warnings) warn(`warning: ${w}`);
}

function readInput(file: string): string {
  try {
    const b = readFileSync(file === '-' ? 0 : file);
    if (b.length > MAX_RESOURCES_BYTES) throw new InvalidArgumentError(`update --resources ${file}: ${b.length} bytes, more than the ${MAX_RESOURCES_BYTES} accepted`);
    return b.toString('utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code) throw new InvalidArgumentError(`update --resources ${JSON.stringify(file)}: ${code}`, { hint: 'a readable JSON file, or - for stdin' });
    throw e;
  }
}
