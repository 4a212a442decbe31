// Platforms: parse `os/arch[/variant]`, the host's own, and matching index
// entries (containerd platforms package: arm64 means arm64/v8; an arm/v7 host
// also runs v6 and v5 images).
import { arch as nodeArch, platform as nodePlatform } from 'node:os';
import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from '../errors.js';
import type { Descriptor, Platform } from '../descriptor/index.js';

const ARCH_ALIASES: Record<string, string> = { x86_64: 'amd64', 'x86-64': 'amd64', x64: 'amd64', aarch64: 'arm64', armhf: 'arm', armel: 'arm', i386: '386', ia32: '386' };

export function normalizePlatform(p: Platform): Platform {
  const os = (p.os || '').toLowerCase();
  let architecture = (p.architecture || '').toLowerCase();
  architecture = ARCH_ALIASES[architecture] ?? architecture;
  let variant = p.variant?.toLowerCase();
  if (architecture === 'arm64' && (variant === 'v8' || variant === '8')) variant = undefined;
  if (architecture === 'arm' && variant && /^\d$/.test(variant)) variant = 'v' + variant;
  if (architecture === 'arm' && !variant) variant = 'v7';
  if (architecture === 'amd64' && variant === 'v1') variant = undefined;
  return { ...p, os, architecture, ...(variant ? { variant } : { variant: undefined }) };
}

/** `linux`, `linux/arm64`, `linux/arm/v7`, `arm64` (os defaults to linux). */
export function parsePlatform(s: string): Platform {
  const parts = s.trim().split('/');
  if (parts.some((x) => x === '') || parts.length > 3) throw new InvalidArgumentError(`invalid platform "${s}"`, { hint: 'use os/arch[/variant], e.g. linux/amd64 or linux/arm/v7' });
  const known = ['linux', 'windows', 'darwin', 'freebsd'];
  if (parts.length === 1) return known.includes(parts[0]!) ? normalizePlatform({ os: parts[0]!, architecture: hostPlatform().architecture, variant: hostPlatform().variant }) : normalizePlatform({ os: 'linux', architecture: parts[0]! });
  return normalizePlatform({ os: parts[0]!, architecture: parts[1]!, variant: parts[2] });
}

export function formatPlatform(p: Platform): string {
  const n = normalizePlatform(p);
  return [n.os, n.architecture, n.variant].filter(Boolean).join('/');
}

let host: Platform | undefined;
export function hostPlatform(): Platform {
  if (host) return host;
  const a = nodeArch();
  let variant: string | undefined;
  if (a === 'arm') {
    // Node's process.config knows the arm version it was built for; cpuinfo the CPU's.
    const v = (process.config.variables as { arm_version?: string }).arm_version;
    variant = v ? 'v' + v : cpuArmVariant();
  }
  host = normalizePlatform({ os: nodePlatform() === 'linux' ? 'linux' : nodePlatform(), architecture: a, variant });
  return host;
}

function cpuArmVariant(): string | undefined {
  try {
    const m = /CPU architecture:\s*(\d+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    return m ? 'v' + Math.min(Number(m[1]), 8) : undefined;
  } catch {
    return undefined;
  }
}

/** Does an image for `have` run on `want`? An arm/v7 host runs v6 and v5; other fields must be equal. */
export function platformMatches(want: Platform, have: Platform | undefined): boolean {
  if (!have) return false;
  const w = normalizePlatform(want);
  const h = normalizePlatform(have);
  if (w.os !== h.os || w.architecture !== h.architecture) return false;
  if (w.variant === h.variant) return true;
  if (w.architecture === 'arm' && w.variant && h.variant) return Number(h.variant.slice(1)) <= Number(w.variant.slice(1));
  return false;
}

/** Entries without a real platform (BuildKit attestations say unknown/unknown). */
export function isAttestation(d: Descriptor): boolean {
  return d.platform?.os === 'unknown' || d.platform?.architecture === 'unknown' || d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest';
}

/**
 * Pick an index's manifests: every real platform with `all`, else for each
 * wanted platform the best match (exact variant first, then the highest
 * compatible one), in the order wanted.
 */
export function selectManifests(manifests: Descriptor[], want: Platform[] | 'all'): Descriptor[] {
  const real = manifests.filter((d) => !isAttestation(d));
  if (want === 'all') return real;
  const out: Descriptor[] = [];
  for (const w of want) {
    const candidates = real.filter((d) => platformMatches(w, d.platform));
    // Entries without a platform field match only when nothing else does (single-entry indexes from `ctr export`).
    if (candidates.length === 0) {
      const untyped = real.filter((d) => !d.platform);
      if (untyped.length === 1 && real.length === 1) candidates.push(untyped[0]!);
    }
    candidates.sort((a, b) => variantRank(b.platform) - variantRank(a.platform));
    const wv = normalizePlatform(w).variant;
    const exact = candidates.find((d) => d.platform !== undefined && normalizePlatform(d.platform).variant === wv);
    const pick = exact ?? candidates[0];
    if (pick && !out.includes(pick)) out.push(pick);
  }
  return out;
}

function variantRank(p: Platform | undefined): number {
  const v = p && normalizePlatform(p).variant;
  return v ? Number(v.replace(/^v/, '')) || 0 : 0;
}
