// `images import`: read an image archive in one pass and record its images.
// Accepts OCI layouts in a tar (`ctr images export`, `tsctr images export`,
// docker ≥ 25 `docker save`) and legacy `docker save` archives (manifest.json
// + repositories, <id>/layer.tar uncompressed, <hex>.json configs), as
// containerd's archive importer does. blobs/ entries are verified against
// their file name while they stream into the store.
//
// Two passes over the file: the first keeps only index.json and the small
// JSON blobs (indexes, manifests) to decide which platforms' blobs to keep
// (import-select.ts); the second stores those. The blobs of other
// platforms are never written, as with ctr's --platform/--all-platforms.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Parser, type ReadEntry } from 'tar';
import { InvalidArgumentError } from '../errors.js';
import type { ContentStore } from '../content/store.js';
import { parseReference } from '../reference/index.js';
import { isIndexType, isManifestType, MediaType, type Descriptor, type Platform } from '../descriptor/index.js';
import { selectImportContent, type Selection } from './import-select.js';
import { kindOf, parseIndex } from './manifest.js';
import { formatPlatform, hostPlatform } from './platform.js';
import type { ImageStore } from './store.js';

export interface ImportOptions {
  store: ContentStore;
  images: ImageStore;
  namespace: string;
  file: string;
  /** Name images whose index entry has only a tag (`org.opencontainers.image.ref.name`) as <base-name>:<tag>. */
  baseName?: string;
  /** Also record the archive's whole index under this name. */
  indexName?: string;
  /** Platforms whose blobs to keep: default this host's; 'all' keeps every one. */
  platforms?: Platform[] | 'all';
  log?: (line: string) => void;
}

export interface Imported {
  name: string;
  target: Descriptor;
  /** For an index: the platforms whose content was imported. */
  platforms?: string[];
}

const SMALL = 4 << 20;
/** What the first pass may hold in memory: index.json plus the JSON blobs. */
const PEEK_BUDGET = 64 << 20;
const BLOB_RE = /^(?:\.\/)?blobs\/(sha256|sha512)\/([a-f0-9]+)$/;

interface Scan {
  files: Map<string, Buffer>;
  /** Non-blob files that were too big to keep in memory (layer.tar): path → stored blob. */
  stored: Map<string, { digest: string; size: number }>;
  blobs: Set<string>;
}

/** Pass 1: index.json and the blobs that look like JSON (≤ 4 MiB, first byte `{`), held in memory. */
async function peekArchive(opts: ImportOptions): Promise<{ index?: Buffer; json: Map<string, Buffer> }> {
  const out: { index?: Buffer; json: Map<string, Buffer> } = { json: new Map() };
  let held = 0;
  const parser = new Parser({
    onReadEntry: (entry: ReadEntry) => {
      const path = entry.path.replace(/^\.\//, '');
      const m = BLOB_RE.exec(path);
      const isFile = entry.type === 'File' || entry.type === 'OldFile';
      if (!isFile || entry.size > SMALL || (!m && path !== 'index.json')) {
        entry.resume();
        return;
      }
      const chunks: Buffer[] = [];
      let json: boolean | undefined;
      entry.on('data', (c: Buffer) => {
        json ??= !m || c[0] === 0x7b; // index.json, or a blob starting with '{'
        if (!json) return;
        held += c.length;
        if (held > PEEK_BUDGET) return void parser.abort(new InvalidArgumentError(`${opts.file}: more than ${PEEK_BUDGET >> 20} MiB of JSON blobs`, { hint: 'the archive is not a plausible image archive' }));
        chunks.push(c);
      });
      entry.on('end', () => {
        if (!json) return;
        if (m) out.json.set(`${m[1]}:${m[2]}`, Buffer.concat(chunks));
        else out.index = Buffer.concat(chunks);
      });
    },
  });
  try {
    await pipeline(await openArchive(opts.file), parser);
  } catch (err) {
    throw new InvalidArgumentError(`${opts.file}: cannot read the archive: ${(err as Error).message}`, { cause: err, hint: (err as { hint?: string }).hint ?? 'is it a tar file?' });
  }
  return out;
}

/** Pass 2: store the blobs (all, or those in `keep`) and keep the small non-blob files. */
async function scanArchive(opts: ImportOptions, keep?: Set<string>): Promise<Scan> {
  const scan: Scan = { files: new Map(), stored: new Map(), blobs: new Set() };
  const jobs: Promise<void>[] = [];
  let failed = false;
  const track = (p: Promise<void>) => {
    // Handled here so a failure while the tar still streams is not an unhandled rejection.
    jobs.push(p.catch((err: unknown) => { failed = true; throw err; }));
    jobs[jobs.length - 1]!.catch(() => undefined);
  };
  const parser = new Parser({
    onReadEntry: (entry: ReadEntry) => {
      const path = entry.path.replace(/^\.\//, '');
      if (failed || (entry.type !== 'File' && entry.type !== 'OldFile')) {
        entry.resume();
        return;
      }
      const m = BLOB_RE.exec(path);
      if (m) {
        const digest = `${m[1]}:${m[2]}`;
        if (keep && !keep.has(digest)) {
          entry.resume();
          return;
        }
        track(storeEntry(opts.store, entry, path, { digest, size: entry.size }).then(() => { scan.blobs.add(digest); }));
      } else if (entry.size <= SMALL && !path.endsWith('.tar')) {
        const chunks: Buffer[] = [];
        entry.on('data', (c: Buffer) => chunks.push(c));
        track(new Promise((resolve, reject) => {
          entry.on('end', () => { scan.files.set(path, Buffer.concat(chunks)); resolve(); });
          entry.on('error', reject);
        }));
      } else {
        track(storeEntry(opts.store, entry, path, undefined).then((r) => { scan.stored.set(path, r); }));
      }
    },
  });
  let parseErr: unknown;
  await pipeline(await openArchive(opts.file), parser).catch((err: unknown) => { parseErr = err; });
  // Let every started ingest finish or clean up before reporting the first error.
  const settled = await Promise.allSettled(jobs);
  const bad = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (bad) throw bad.reason;
  if (parseErr) throw new InvalidArgumentError(`${opts.file}: cannot read the archive: ${(parseErr as Error).message}`, { cause: parseErr, hint: (parseErr as { hint?: string }).hint ?? 'is it a tar file?' });
  return scan;
}

/**
 * The archive as a tar stream. node-tar unpacks gzip itself; zstd (which
 * Node 20's zlib lacks, and node-tar then throws on outside any stream) goes
 * through the zstd binary.
 */
async function openArchive(file: string): Promise<NodeJS.ReadableStream> {
  const fh = await open(file, 'r');
  const magic = Buffer.alloc(4);
  try {
    await fh.read(magic, 0, 4, 0);
  } finally {
    await fh.close();
  }
  if (magic.readUInt32LE(0) !== 0xfd2fb528) return createReadStream(file);
  const child = spawn('zstd', ['-dc', '--', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const out = new PassThrough();
  child.on('error', (err) => out.destroy(new InvalidArgumentError(`${file} is zstd-compressed and the zstd program could not run: ${err.message}`, { hint: 'apt-get install zstd, or decompress the archive first' })));
  // End the stream only after zstd exited 0: a corrupt file must fail the import.
  child.on('close', (code) => {
    if (code === 0) out.end();
    else out.destroy(new InvalidArgumentError(`zstd -d ${file}: ${stderr.trim().split('\n').pop() || `exit ${code}`}`, { hint: 'the archive is damaged or truncated' }));
  });
  child.stdout.pipe(out, { end: false });
  return out;
}

async function storeEntry(store: ContentStore, entry: ReadEntry, path: string, expected: { digest: string; size: number } | undefined): Promise<{ digest: string; size: number }> {
  const ref = expected ? expected.digest : `import-${process.pid}-${Date.now()}-${path}`;
  const w = await store.openWriter(ref, expected);
  if (!w) {
    entry.resume();
    return expected!;
  }
  try {
    if (w.offset > 0) await w.reset();
    await pipeline(entry, w.stream());
    const r = await w.commit();
    return { digest: r.digest, size: r.size };
  } catch (err) {
    await w.abort();
    throw err;
  }
}

/** The index.json entries that are images (ctr skips other artifacts). */
function imageEntries(list: Descriptor[]): Descriptor[] {
  return list.filter((d) => isIndexType(d.mediaType) || isManifestType(d.mediaType) || kindOf(d.mediaType) !== 'other');
}

function describeWant(want: Platform[] | 'all'): string {
  return want === 'all' ? 'any platform' : want.map(formatPlatform).join(', ');
}

function platformsOf(chosen: Descriptor[]): string[] {
  return [...new Set(chosen.filter((m) => m.platform).map((m) => formatPlatform(m.platform!)))];
}

function json<T>(scan: Scan, path: string): T | undefined {
  const b = scan.files.get(path);
  if (!b) return undefined;
  try {
    return JSON.parse(b.toString('utf8')) as T;
  } catch {
    throw new InvalidArgumentError(`archive: ${path} is not valid JSON`);
  }
}

function normalName(n: string): string | undefined {
  try {
    return parseReference(n).toString();
  } catch {
    return undefined;
  }
}

/** ctr's rule: io.containerd.image.name, else ref.name (a full reference, or a tag joined to --base-name). */
function nameOf(d: Descriptor, baseName: string | undefined): string | undefined {
  const full = d.annotations?.['io.containerd.image.name'];
  if (full) return full;
  const ref = d.annotations?.['org.opencontainers.image.ref.name'];
  if (!ref) return undefined;
  if (baseName) return /^[\w][\w.-]{0,127}$/.test(ref) ? `${baseName}:${ref}` : undefined;
  return ref.includes('/') || ref.includes(':') ? normalName(ref) ?? ref : undefined;
}

/** A layer's media type from its first bytes: docker save keeps layer.tar uncompressed. */
async function layerMediaType(store: ContentStore, digest: string): Promise<string> {
  const fh = await open(store.blobPath(digest), 'r');
  try {
    const b = Buffer.alloc(4);
    await fh.read(b, 0, 4, 0);
    if (b[0] === 0x1f && b[1] === 0x8b) return MediaType.DockerLayerGzip;
    if (b.readUInt32LE(0) === 0xfd2fb528) return MediaType.OciLayerZstd;
    return MediaType.DockerLayer;
  } finally {
    await fh.close();
  }
}

interface DockerManifestEntry { Config: string; RepoTags?: string[] | null; Layers: string[] }

async function dockerImages(opts: ImportOptions, scan: Scan): Promise<Imported[]> {
  const entries = json<DockerManifestEntry[]>(scan, 'manifest.json') ?? [];
  const out: Imported[] = [];
  const blobOf = async (path: string): Promise<{ digest: string; size: number }> => {
    const m = BLOB_RE.exec(path);
    if (m) return { digest: `${m[1]}:${m[2]}`, size: (await opts.store.info(`${m[1]}:${m[2]}`))!.size };
    const stored = scan.stored.get(path);
    if (stored) return stored;
    const buf = scan.files.get(path);
    if (!buf) throw new InvalidArgumentError(`archive: manifest.json names ${path}, which is not in the archive`);
    const r = await opts.store.writeBlob(buf);
    return { digest: r.digest, size: r.size };
  };
  for (const e of entries) {
    const config = await blobOf(e.Config);
    const layers: Descriptor[] = [];
    for (const l of e.Layers) {
      const b = await blobOf(l);
      layers.push({ mediaType: await layerMediaType(opts.store, b.digest), digest: b.digest, size: b.size });
    }
    const manifest = { schemaVersion: 2, mediaType: MediaType.DockerManifest, config: { mediaType: MediaType.DockerConfig, ...config }, layers };
    const r = await opts.store.writeBlob(Buffer.from(JSON.stringify(manifest)));
    const target: Descriptor = { mediaType: MediaType.DockerManifest, digest: r.digest, size: r.size };
    const tags = (e.RepoTags ?? []).map((t) => normalName(t)).filter((t): t is string => !!t);
    if (tags.length === 0 && opts.baseName) tags.push(`${opts.baseName}:latest`);
    if (tags.length === 0) opts.log?.(`skipping an image without a tag (${r.digest}); use --base-name`);
    for (const t of tags) out.push({ name: t, target });
  }
  return out;
}

interface IndexPlan {
  images: { name: string; d: Descriptor; chosen: Descriptor[] }[];
  skipped: string[];
  keep: Set<string>;
}

/**
 * The named entries of index.json the platform choice keeps, decided from
 * pass 1 alone so that a refusal stores nothing. Throws when names exist
 * but none is for the wanted platforms.
 */
function planIndexImport(opts: ImportOptions, tops: Descriptor[], sel: Selection, want: Platform[] | 'all'): IndexPlan {
  const plan: IndexPlan = { images: [], skipped: [], keep: new Set(sel.keep) };
  const skippedTops: string[] = [];
  for (const d of tops) {
    const name = nameOf(d, opts.baseName);
    if (!name) continue;
    const chosen = sel.chosen.get(d.digest) ?? [];
    if (chosen.length === 0 && (isIndexType(d.mediaType) || d.platform)) {
      plan.skipped.push(name);
      skippedTops.push(d.digest);
    } else plan.images.push({ name, d, chosen });
  }
  const has = [...sel.seen].join(', ') || 'no platform';
  if (plan.skipped.length && plan.images.length === 0 && !opts.indexName) {
    throw new InvalidArgumentError(`${opts.file}: no image in the archive is for ${describeWant(want)} (it has ${has})`, { hint: 'choose one with --platform, or import them all with --all-platforms' });
  }
  for (const name of plan.skipped) opts.log?.(`skipping ${name}: no manifest for ${describeWant(want)} (the archive has ${has})`);
  const used = new Set(plan.images.flatMap((i) => [i.d.digest, ...i.chosen.map((c) => c.digest)]));
  if (!opts.indexName) for (const d of skippedTops) if (!used.has(d)) plan.keep.delete(d);
  return plan;
}

export async function importArchive(opts: ImportOptions): Promise<Imported[]> {
  const lease = await opts.store.lease();
  try {
    const peek = await peekArchive(opts);
    const want = opts.platforms ?? [hostPlatform()];
    const tops = peek.index ? imageEntries(parseIndex(peek.index, 'archive index.json').manifests) : [];
    const plan = peek.index ? planIndexImport(opts, tops, selectImportContent(tops, (d) => peek.json.get(d), want), want) : undefined;
    const scan = await scanArchive(opts, plan?.keep);
    let found: Imported[] = [];
    const index = scan.files.get('index.json');
    if (index && plan) {
      for (const { name, d, chosen } of plan.images) {
        if (!(await opts.store.has(d.digest))) throw new InvalidArgumentError(`archive: ${name} points at ${d.digest}, which is not in the archive`);
        found.push({ name, target: { mediaType: d.mediaType, digest: d.digest, size: d.size, ...(d.platform ? { platform: d.platform } : {}) }, platforms: platformsOf(chosen) });
      }
      if (opts.indexName) {
        const r = await opts.store.writeBlob(index);
        found.push({ name: opts.indexName, target: { mediaType: MediaType.OciIndex, digest: r.digest, size: r.size } });
      }
    }
    if (found.length === 0 && !plan?.skipped.length && scan.files.has('manifest.json')) found = await dockerImages(opts, scan);
    if (found.length === 0) {
      if (!index && !scan.files.has('manifest.json')) throw new InvalidArgumentError(`${opts.file}: not an image archive (no index.json or manifest.json)`, { hint: 'use an archive from `ctr images export`, `tsctr images export` or `docker save`' });
      throw new InvalidArgumentError(`${opts.file}: no image in the archive has a name`, { hint: 'name them with --base-name <repository> or --index-name <name>' });
    }
    for (const f of found) await opts.images.put(opts.namespace, f.name, f.target);
    return found;
  } finally {
    lease.release();
  }
}
