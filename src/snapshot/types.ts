// Snapshot data shared by the snapshotters (containerd core/snapshots): a
// committed snapshot is a read-only layer keyed by its chain ID; an active one
// is writable (upper + work); a view is a read-only look at a parent chain.
// Snapshotters return mounts as data; mount.ts performs them.

export type SnapshotterName = 'overlayfs' | 'native';
export const SNAPSHOTTERS: readonly SnapshotterName[] = ['overlayfs', 'native'] as const;

export type Kind = 'committed' | 'active' | 'view';

export interface Mount {
  type: string;
  source: string;
  target?: string;
  options: string[];
}

export interface Info {
  /** The key (active/view) or name (committed, usually a chain ID). */
  name: string;
  parent?: string;
  kind: Kind;
  labels: Record<string, string>;
  created: string;
  updated: string;
  /** Short numeric id: the directory snapshots/<id>. */
  id: string;
}

export interface Usage {
  /** Bytes allocated on disk (st_blocks * 512, each inode once). */
  size: number;
  inodes: number;
}

export interface SnapshotOptions {
  labels?: Record<string, string>;
}

export interface Snapshotter {
  readonly name: SnapshotterName;
  readonly namespace: string;
  /** <root>/snapshots/<name> */
  readonly dir: string;
  prepare(key: string, parent?: string, opts?: SnapshotOptions): Promise<Mount[]>;
  view(key: string, parent?: string, opts?: SnapshotOptions): Promise<Mount[]>;
  commit(name: string, key: string, opts?: SnapshotOptions): Promise<void>;
  remove(key: string): Promise<void>;
  mounts(key: string): Promise<Mount[]>;
  stat(key: string): Promise<Info>;
  list(): Promise<Info[]>;
  usage(key: string): Promise<Usage>;
  /** Merges labels; an empty value removes that label. */
  update(key: string, labels: Record<string, string>): Promise<Info>;
  /** The directory a layer is applied to and the parent chain's directories (top first). */
  layerDirs(key: string): Promise<{ upper: string; lowers: string[] }>;
  /** Removes directories a killed process left: rm-* always, new-* older than maxAgeMs. Returns how many. */
  cleanup(maxAgeMs?: number): Promise<number>;
  /** The same snapshotter in another namespace. */
  withNamespace(ns: string): Snapshotter;
}
