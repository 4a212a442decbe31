// What listings show of a task's network (tasks ls, containers info): read
// from its network.json alone, so those commands load no CNI code.
import { join } from 'node:path';
import { readJson } from '../../util/fs.js';
import type { PortMapping } from './ports.js';

interface Recorded { ports?: PortMapping[]; attachments?: { network: string; addresses?: string[] }[] }

/** Addresses, networks and published ports of a task, or undefined without --cni. */
export function networkSummary(taskDir: string): { addresses: string[]; networks: string[]; ports: PortMapping[] } | undefined {
  let st: Recorded | undefined;
  try { st = readJson<Recorded>(join(taskDir, 'network.json')); } catch { return undefined; }
  if (!st?.attachments) return undefined;
  return { addresses: st.attachments.flatMap((a) => a.addresses ?? []), networks: st.attachments.map((a) => a.network), ports: st.ports ?? [] };
}
