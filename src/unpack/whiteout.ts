// OCI whiteouts (image-spec layer.md#whiteouts) and their overlayfs form
// (Documentation/filesystems/overlayfs.rst: a whiteout is a 0/0 character
// device; an opaque directory carries trusted.overlay.opaque=y).
import type * as fs from 'node:fs';

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';
/** aufs metadata (`.wh..wh.plnk`, `.wh..wh.aufs`): not part of the image, skipped as containerd does. */
export const AUFS_META_PREFIX = '.wh..wh.';
export const OPAQUE_XATTR = 'trusted.overlay.opaque';

export type WhiteoutKind = { kind: 'none' } | { kind: 'opaque' } | { kind: 'whiteout'; target: string } | { kind: 'meta' };

export function classifyName(base: string): WhiteoutKind {
  if (!base.startsWith(WHITEOUT_PREFIX)) return { kind: 'none' };
  if (base === OPAQUE_MARKER) return { kind: 'opaque' };
  if (base.startsWith(AUFS_META_PREFIX)) return { kind: 'meta' };
  return { kind: 'whiteout', target: base.slice(WHITEOUT_PREFIX.length) };
}

export function isWhiteoutStat(st: fs.Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

/** Xattrs a layer may not set: overlayfs' own (redirect, metacopy, opaque) would change what lower layers show. */
export function isReservedXattr(name: string): boolean {
  return name.startsWith('trusted.overlay.') || name.startsWith('user.overlay.');
}
