// The topics and payloads of the events journal, as containerd names and
// shapes them (api/events/*.proto: field names in proto spelling, so a reader
// of `ctr events` output finds the same keys). A leaf module: types only.

export const TOPICS = [
  '/images/create', '/images/update', '/images/delete',
  '/content/delete',
  '/snapshot/prepare', '/snapshot/commit', '/snapshot/remove',
  '/containers/create', '/containers/update', '/containers/delete',
  '/tasks/create', '/tasks/start', '/tasks/exit', '/tasks/oom', '/tasks/paused', '/tasks/resumed',
  '/tasks/exec-added', '/tasks/exec-started', '/tasks/delete',
  '/namespaces/create', '/namespaces/update', '/namespaces/delete',
] as const;

export type Topic = (typeof TOPICS)[number];

type Labels = Record<string, string>;

/** The payload of each topic (containerd.events.*). Times are RFC 3339 strings. */
export interface Payloads {
  '/images/create': { name: string; labels?: Labels };
  '/images/update': { name: string; labels?: Labels };
  '/images/delete': { name: string };
  '/content/delete': { digest: string };
  '/snapshot/prepare': { key: string; parent: string; snapshotter: string };
  '/snapshot/commit': { key: string; name: string; snapshotter: string };
  '/snapshot/remove': { key: string; snapshotter: string };
  '/containers/create': { id: string; image: string; runtime: { name: string } };
  '/containers/update': { id: string; image?: string; labels?: Labels; snapshot_key?: string };
  '/containers/delete': { id: string };
  '/tasks/create': { container_id: string; bundle: string; rootfs: { type: string; source: string; options: string[] }[]; io: { stdin: string; stdout: string; stderr: string; terminal: boolean }; pid: number };
  '/tasks/start': { container_id: string; pid: number };
  '/tasks/exit': { container_id: string; id: string; pid: number; exit_status: number; exited_at: string };
  '/tasks/oom': { container_id: string };
  '/tasks/paused': { container_id: string };
  '/tasks/resumed': { container_id: string };
  '/tasks/exec-added': { container_id: string; exec_id: string };
  '/tasks/exec-started': { container_id: string; exec_id: string; pid: number };
  '/tasks/delete': { container_id: string; id: string; pid: number; exit_status: number; exited_at: string };
  '/namespaces/create': { name: string; labels?: Labels };
  '/namespaces/update': { name: string; labels?: Labels };
  '/namespaces/delete': { name: string };
}

/** One line of the journal (containerd's events.Envelope, with the payload as JSON rather than an Any). */
export interface Envelope {
  /** RFC 3339 with nanoseconds, UTC: 2026-11-29T23:10:00.123456789Z */
  timestamp: string;
  namespace: string;
  topic: string;
  event: Record<string, unknown>;
}
