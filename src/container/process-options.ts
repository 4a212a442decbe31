// Process options that need files: --user (the image's /etc/passwd and
// /etc/group) and --seccomp / --seccomp-profile.
import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from '../errors.js';
import { defaultSeccompProfile } from '../oci/seccomp/index.js';
import type { Seccomp, Spec } from '../oci/spec/index.js';
import { readerInRoot, resolveUser } from './user.js';
import type { Sys } from '../sys/index.js';

export function applyUserFlag(spec: Spec, user: string | undefined, rootfs: string, opts: { numericOnly?: boolean; sys?: Sys } = {}): void {
  if (!user) return;
  if (opts.numericOnly && !/^\d+(:\d+)?$/.test(user)) return; // a name needs the mounted rootfs
  // With the sys layer, /etc/passwd and /etc/group are opened inside the root by the native resolver.
  const u = resolveUser(rootfs, user, opts.sys ? readerInRoot(opts.sys, rootfs) : undefined);
  const p = spec.process!;
  p.user = { ...p.user, uid: u.uid, gid: u.gid, additionalGids: u.additionalGids };
  if (u.home && !p.env!.some((e) => e.startsWith('HOME='))) p.env!.push(`HOME=${u.home}`);
}

export function applySeccompFlags(spec: Spec, enable: boolean, profilePath?: string): void {
  if (profilePath) {
    let text: string;
    try {
      text = readFileSync(profilePath, 'utf8');
    } catch (e) {
      throw new InvalidArgumentError(`--seccomp-profile "${profilePath}": ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    try {
      spec.linux!.seccomp = JSON.parse(text) as Seccomp;
    } catch (e) {
      throw new InvalidArgumentError(`--seccomp-profile "${profilePath}": not valid JSON (${(e as Error).message})`);
    }
    return;
  }
  if (enable) spec.linux!.seccomp = defaultSeccompProfile(spec.process!.capabilities?.bounding ?? []);
}
