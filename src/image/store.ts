// Image metadata, per namespace: <root>/metadata/<ns>/images.json maps a
// name to its target descriptor, dates and labels. Every change runs under
// one flock (locks/metadata.lock), writes a temp file and renames it, and
// then rewrites content/index.json so the OCI layout names every image.
import { readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AlreadyExistsError, FailedPreconditionError, NotFoundError } from '../errors.js';
import { ensureLayout, metadataLockPath, writeFileAtomic, writeLayoutIndex } from '../content/layout.js';
import { withLock, defaultSys, type SysProvider } from '../content/lock.js';
import type { Descriptor } from '../descriptor/index.js';

export interface ImageRecord {
  name: string;
  target: Descriptor;
  createdAt: string;
  updatedAt: string;
  labels: Record<string, string>;
}

interface ImagesFile {
  images: Record<string, ImageRecord>;
}

export interface NamespaceInfo {
  name: string;
  labels: Record<string, string>;
}

/** Files in a namespace directory that belong to this module; anything else means the namespace is in use. */
const OWN_FILES = new Set(['images.json', 'namespace.json']);

export class ImageStore {
  constructor(readonly root: string, readonly sys: SysProvider = defaultSys) {}

  private nsDir(ns: string): string {
    return join(this.root, 'metadata', ns);
  }

  private async readImages(ns: string): Promise<ImagesFile> {
    try {
      // Sync: one small file, and fs/promises costs a command that only lists ~5 ms to load.
      return JSON.parse(readFileSync(join(this.nsDir(ns), 'images.json'), 'utf8')) as ImagesFile;
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return { images: {} };
      throw err;
    }
  }

  private async writeImages(ns: string, f: ImagesFile): Promise<void> {
    await mkdir(this.nsDir(ns), { recursive: true });
    await writeFileAtomic(join(this.nsDir(ns), 'images.json'), JSON.stringify(f, null, 2) + '\n');
  }

  /** Run `fn` under the metadata lock; with `sync`, rewrite content/index.json afterwards. */
  async locked<T>(fn: () => Promise<T>, sync = true): Promise<T> {
    await ensureLayout(this.root);
    return withLock(metadataLockPath(this.root), async () => {
      const r = await fn();
      if (sync) await this.syncLayoutIndex();
      return r;
    }, { sys: this.sys });
  }

  async list(ns: string): Promise<ImageRecord[]> {
    const f = await this.readImages(ns);
    return Object.values(f.images).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Look an image up by its exact name. */
  async get(ns: string, name: string): Promise<ImageRecord> {
    const f = await this.readImages(ns);
    const r = f.images[name];
    if (!r) throw new NotFoundError(`image "${name}" not found in namespace "${ns}"`, { hint: 'see `tsctr images ls`, or pull it' });
    return r;
  }

  async find(ns: string, name: string): Promise<ImageRecord | undefined> {
    return (await this.readImages(ns)).images[name];
  }

  /** Create or move a name to `target`; returns the record. */
  async put(ns: string, name: string, target: Descriptor, labels?: Record<string, string>): Promise<ImageRecord> {
    return this.locked(async () => {
      const f = await this.readImages(ns);
      const now = new Date().toISOString();
      const old = f.images[name];
      const rec: ImageRecord = { name, target: cleanTarget(target), createdAt: old?.createdAt ?? now, updatedAt: now, labels: labels ?? old?.labels ?? {} };
      f.images[name] = rec;
      await this.writeImages(ns, f);
      return rec;
    });
  }

  async create(ns: string, name: string, target: Descriptor, labels: Record<string, string> = {}): Promise<ImageRecord> {
    return this.locked(async () => {
      const f = await this.readImages(ns);
      if (f.images[name]) throw new AlreadyExistsError(`image "${name}" already exists`, { hint: 'use --force to replace it' });
      const now = new Date().toISOString();
      const rec: ImageRecord = { name, target: cleanTarget(target), createdAt: now, updatedAt: now, labels };
      f.images[name] = rec;
      await this.writeImages(ns, f);
      return rec;
    });
  }

  /** Set labels (an empty value removes the key). */
  async setLabels(ns: string, name: string, labels: Record<string, string>): Promise<ImageRecord> {
    return this.locked(async () => {
      const f = await this.readImages(ns);
      const r = f.images[name];
      if (!r) throw new NotFoundError(`image "${name}" not found in namespace "${ns}"`, { hint: 'see `tsctr images ls`' });
      for (const [k, v] of Object.entries(labels)) {
        if (v === '') delete r.labels[k];
        else r.labels[k] = v;
      }
      r.updatedAt = new Date().toISOString();
      await this.writeImages(ns, f);
      return r;
    }, false);
  }

  async delete(ns: string, name: string): Promise<void> {
    await this.locked(async () => {
      const f = await this.readImages(ns);
      if (!f.images[name]) throw new NotFoundError(`image "${name}" not found in namespace "${ns}"`, { hint: 'see `tsctr images ls`' });
      delete f.images[name];
      await this.writeImages(ns, f);
    });
  }

  /** Every image target in every namespace: the roots garbage collection keeps. */
  async allTargets(): Promise<{ ns: string; image: ImageRecord }[]> {
    const out: { ns: string; image: ImageRecord }[] = [];
    for (const ns of await this.namespaceNames()) for (const image of await this.list(ns)) out.push({ ns, image });
    return out;
  }

  /** Regenerate content/index.json: one entry per image and namespace, `default` first. */
  async syncLayoutIndex(): Promise<void> {
    const entries: Descriptor[] = [];
    const names = (await this.namespaceNames()).sort((a, b) => (a === 'default' ? -1 : b === 'default' ? 1 : a.localeCompare(b)));
    for (const ns of names) {
      for (const img of await this.list(ns)) {
        const annotations: Record<string, string> = { 'io.containerd.image.name': img.name, 'io.tsctr.namespace': ns };
        // ref.name is what `skopeo inspect oci:<dir>:<ref>` matches; its grammar has no '@'.
        if (!img.name.includes('@')) annotations['org.opencontainers.image.ref.name'] = img.name;
        entries.push({ mediaType: img.target.mediaType, digest: img.target.digest, size: img.target.size, ...(img.target.platform ? { platform: img.target.platform } : {}), annotations });
      }
    }
    await writeLayoutIndex(this.root, entries);
  }

  // Namespaces: a directory under metadata/, with optional labels in namespace.json.

  async namespaceNames(): Promise<string[]> {
    try {
      const names = await readdir(join(this.root, 'metadata'));
      const out: string[] = [];
      for (const n of names) if ((await stat(join(this.root, 'metadata', n))).isDirectory()) out.push(n);
      return out.sort();
    } catch {
      return [];
    }
  }

  async namespaces(): Promise<NamespaceInfo[]> {
    const out: NamespaceInfo[] = [];
    for (const name of await this.namespaceNames()) {
      let labels: Record<string, string> = {};
      try {
        labels = (JSON.parse(await readFile(join(this.nsDir(name), 'namespace.json'), 'utf8')) as { labels: Record<string, string> }).labels ?? {};
      } catch { /* no labels */ }
      out.push({ name, labels });
    }
    return out;
  }

  async createNamespace(ns: string, labels: Record<string, string> = {}, existOk = false): Promise<void> {
    await this.locked(async () => {
      const exists = await stat(this.nsDir(ns)).then(() => true, () => false);
      if (exists && !existOk) throw new AlreadyExistsError(`namespace "${ns}" already exists`);
      await mkdir(this.nsDir(ns), { recursive: true });
      if (Object.keys(labels).length > 0 || !exists) await writeFileAtomic(join(this.nsDir(ns), 'namespace.json'), JSON.stringify({ labels }, null, 2) + '\n');
    }, false);
  }

  async setNamespaceLabels(ns: string, labels: Record<string, string>): Promise<void> {
    await this.locked(async () => {
      const cur = (await this.namespaces()).find((n) => n.name === ns);
      if (!cur) throw new NotFoundError(`namespace "${ns}" not found`, { hint: 'see `tsctr namespaces ls`' });
      for (const [k, v] of Object.entries(labels)) {
        if (v === '') delete cur.labels[k];
        else cur.labels[k] = v;
      }
      await writeFileAtomic(join(this.nsDir(ns), 'namespace.json'), JSON.stringify({ labels: cur.labels }, null, 2) + '\n');
    }, false);
  }

  /** What a namespace still holds (images, and other modules' files such as containers or snapshots). */
  /** What namespace `ns` holds; `elsewhere` adds what other stores keep under it (snapshots: the snapshot module counts its own). */
  async namespaceContents(ns: string, elsewhere: (ns: string) => string[] = () => []): Promise<string[]> {
    const what: string[] = [];
    const images = await this.list(ns);
    if (images.length > 0) what.push(`${images.length} image${images.length === 1 ? '' : 's'} (${images.slice(0, 3).map((i) => i.name).join(', ')}${images.length > 3 ? ', …' : ''})`);
    let names: string[] = [];
    try {
      names = await readdir(this.nsDir(ns));
    } catch { /* empty */ }
    for (const n of names.sort()) {
      if (OWN_FILES.has(n) || n.endsWith('.lock') || n.includes('.tmp-')) continue;
      const p = join(this.nsDir(ns), n);
      if (await isEmptyEntry(p)) continue;
      const kids = await readdir(p).catch(() => undefined);
      what.push(kids ? `${kids.length} ${n} (${kids.slice(0, 3).map((k) => k.replace(/\.json$/, '')).join(', ')}${kids.length > 3 ? ', …' : ''})` : n.replace(/\.json$/, ''));
    }
    what.push(...elsewhere(ns));
    return what;
  }

  async removeNamespace(ns: string, elsewhere?: (ns: string) => string[]): Promise<void> {
    await this.locked(async () => {
      const exists = await stat(this.nsDir(ns)).then(() => true, () => false);
      if (!exists) throw new NotFoundError(`namespace "${ns}" not found`, { hint: 'see `tsctr namespaces ls`' });
      const what = await this.namespaceContents(ns, elsewhere);
      if (what.length > 0) throw new FailedPreconditionError(`namespace "${ns}" is not empty: it has ${what.join('; ')}`, { hint: `remove them first (tsctr -n ${ns} images rm …)` });
      await rm(this.nsDir(ns), { recursive: true, force: true });
    });
  }
}

async function isEmptyEntry(p: string): Promise<boolean> {
  const s = await stat(p).catch(() => undefined);
  if (!s) return true;
  if (s.isDirectory()) return (await readdir(p)).length === 0;
  if (s.size === 0) return true;
  // A JSON file holding an empty object or list counts as empty.
  try {
    const v = JSON.parse(await readFile(p, 'utf8')) as unknown;
    if (Array.isArray(v)) return v.length === 0;
    if (v && typeof v === 'object') return Object.values(v).every((x) => x && typeof x === 'object' && Object.keys(x).length === 0);
  } catch { /* not JSON */ }
  return false;
}

function cleanTarget(d: Descriptor): Descriptor {
  return { mediaType: d.mediaType, digest: d.digest, size: d.size, ...(d.platform ? { platform: d.platform } : {}), ...(d.annotations ? { annotations: d.annotations } : {}) };
}
