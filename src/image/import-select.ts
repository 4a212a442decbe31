// Which blobs of an archive an import keeps (ctr images import --platform /
// --all-platforms): walk from the archive's index.json entries through
// nested indexes, keeping for each index only the manifests of the wanted
// platforms, and for each kept manifest its config and layers. The blobs
// of other platforms are never stored. Pure over a lookup of the archive's
// JSON blobs, so it is tested without a store.
//
// The archive is untrusted: an index may name itself or nest without end
// (refused past MAX_DEPTH), and may name blobs the archive lacks (those are
// reported, and the import says so when an image needs them).
import { InvalidArgumentError } from '../errors.js';
import { isIndexType, isManifestType, isValidDigest, type Descriptor, type Platform } from '../descriptor/index.js';
import { parseIndex, parseManifest } from './manifest.js';
import { formatPlatform, isAttestation, platformMatches, selectManifests } from './platform.js';

export const MAX_DEPTH = 8;

export interface Selection {
  /** Every blob to store: indexes, manifests, configs, layers of the wanted platforms. */
  keep: Set<string>;
  /** Per top-level entry (by digest), the platform manifests chosen under it. */
  chosen: Map<string, Descriptor[]>;
  /** Platforms seen in the archive's indexes (for the error when none matched). */
  seen: Set<string>;
}

/**
 * `blob(digest)` returns the bytes of a JSON blob (index or manifest) from
 * the archive, or undefined when the archive does not carry it.
 * A top-level entry is filtered by its platform field; one without is kept.
 */
export function selectImportContent(tops: Descriptor[], blob: (digest: string) => Buffer | undefined, want: Platform[] | 'all'): Selection {
  const sel: Selection = { keep: new Set(), chosen: new Map(), seen: new Set() };
  const visiting = new Set<string>();
  const keep = (digest: string) => {
    if (!isValidDigest(digest)) throw new InvalidArgumentError(`archive: invalid digest ${JSON.stringify(digest.slice(0, 100))}`, { hint: 'the archive is malformed' });
    sel.keep.add(digest);
  };
  const walk = (d: Descriptor, depth: number, top: string): void => {
    if (depth > MAX_DEPTH) throw new InvalidArgumentError(`archive: indexes nest deeper than ${MAX_DEPTH} levels at ${d.digest}`, { hint: 'the archive is malformed' });
    if (visiting.has(d.digest)) throw new InvalidArgumentError(`archive: index ${d.digest} contains itself`, { hint: 'the archive is malformed' });
    keep(d.digest);
    const body = blob(d.digest);
    if (!body) return; // absent: the caller reports it if an image needs it
    visiting.add(d.digest);
    try {
      if (isIndexType(d.mediaType)) {
        const index = parseIndex(body, `archive index ${d.digest}`);
        for (const m of index.manifests) if (m.platform && !isAttestation(m)) sel.seen.add(formatPlatform(m.platform));
        const picked = selectManifests(index.manifests, want);
        // Attestations ride along with the manifests they describe, as ctr keeps them.
        const refersTo = new Set(picked.map((m) => m.digest));
        const extras = index.manifests.filter((m) => isAttestation(m) && refersTo.has(m.annotations?.['vnd.docker.reference.digest'] ?? ''));
        for (const m of [...picked, ...extras]) walk(m, depth + 1, top);
        for (const m of picked) if (isManifestType(m.mediaType)) sel.chosen.get(top)!.push(m);
      } else if (isManifestType(d.mediaType)) {
        const m = parseManifest(body, `archive manifest ${d.digest}`);
        for (const c of [m.config, ...m.layers]) keep(c.digest);
      }
    } finally {
      visiting.delete(d.digest);
    }
  };
  for (const t of tops) {
    if (sel.chosen.has(t.digest)) continue; // two names for one target
    sel.chosen.set(t.digest, []);
    // An entry of index.json that says its platform is filtered like any index entry (ctr's FilterPlatforms).
    if (t.platform && !isAttestation(t)) {
      sel.seen.add(formatPlatform(t.platform));
      if (want !== 'all' && !want.some((w) => platformMatches(w, t.platform))) continue;
    }
    walk(t, 0, t.digest);
    if (isManifestType(t.mediaType)) sel.chosen.get(t.digest)!.push(t);
  }
  return sel;
}
