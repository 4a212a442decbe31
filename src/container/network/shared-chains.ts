// The chains the portmap and firewall plugins share between all containers
// and networks (CNI-HOSTPORT-*, CNI-FORWARD/CNI-ADMIN) outlive every CNI
// DEL: the plugins create them on ADD and never remove them. When no
// container uses them any more (no per-container rule is left in them, from
// tsctr or any other CNI user), `network rm` removes them and their jumps;
// the next ADD of any CNI user creates them again.
import { spawnSync } from 'node:child_process';

function ipt(args: string[]): { ok: boolean; out: string } {
  const r = spawnSync('iptables', ['-w', ...args], { encoding: 'utf8' });
  return { ok: r.status === 0, out: r.stdout ?? '' };
}

/** Rules of a chain (-S lines without the -N), or undefined when it does not exist. */
function rules(table: string, chain: string): string[] | undefined {
  const r = ipt(['-t', table, '-S', chain]);
  if (!r.ok) return undefined;
  return r.out.split('\n').filter((l) => l.startsWith('-A '));
}

/** Deletes every rule of `from` that jumps to `target`, by its number (highest first). */
function deleteJumps(table: string, from: string, target: string): void {
  const r = ipt(['-t', table, '-L', from, '-n', '--line-numbers']);
  const nums = r.out.split('\n').map((l) => l.trim().split(/\s+/)).filter((f) => /^\d+$/.test(f[0] ?? '') && f[1] === target).map((f) => Number(f[0]));
  for (const n of nums.sort((a, b) => b - a)) ipt(['-t', table, '-D', from, String(n)]);
}

function dropChain(table: string, chain: string): void {
  ipt(['-t', table, '-F', chain]);
  ipt(['-t', table, '-X', chain]);
}

/** Removes the shared CNI chains that no container uses; returns what was removed. */
export function removeUnusedSharedChains(): string[] {
  const done: string[] = [];
  const dnat = rules('nat', 'CNI-HOSTPORT-DNAT');
  const perContainer = ipt(['-t', 'nat', '-S']).out.split('\n').some((l) => /^-N CNI-DN-/.test(l));
  if (dnat && dnat.length === 0 && !perContainer) {
    deleteJumps('nat', 'PREROUTING', 'CNI-HOSTPORT-DNAT');
    deleteJumps('nat', 'OUTPUT', 'CNI-HOSTPORT-DNAT');
    deleteJumps('nat', 'POSTROUTING', 'CNI-HOSTPORT-MASQ');
    for (const c of ['CNI-HOSTPORT-DNAT', 'CNI-HOSTPORT-MASQ', 'CNI-HOSTPORT-SETMARK']) dropChain('nat', c);
    done.push('removed the unused portmap chains');
  }
  const fwd = rules('filter', 'CNI-FORWARD');
  const admin = rules('filter', 'CNI-ADMIN');
  if (fwd && fwd.every((l) => / -j CNI-ADMIN$/.test(l)) && (admin ?? []).length === 0) {
    deleteJumps('filter', 'FORWARD', 'CNI-FORWARD');
    dropChain('filter', 'CNI-FORWARD');
    if (admin) dropChain('filter', 'CNI-ADMIN');
    done.push('removed the unused firewall chains');
  }
  return done;
}
