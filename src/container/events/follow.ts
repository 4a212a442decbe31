// Reading and following the journal. Past events come from journal.1 then
// journal; new ones are read when inotify (fs.watch on the events directory)
// says the directory changed: an append modifies `journal`, a rotation renames
// it. No timer polls the file.
//
// Rotation (see journal.ts): the follower keeps reading the fd it has; when
// the path `journal` names another inode, every write to the old one has
// finished (writers hold the shared lock, the rename the exclusive one), so
// it reads the old fd to its end and opens the new file at offset 0. Had it
// slept through two rotations, the generation in between is journal.1: it is
// read whole before the new file.
import { closeSync, fstatSync, mkdirSync, openSync, readSync, statSync, watch, type FSWatcher } from 'node:fs';
import { eventsDir, journalPath, previousPath } from './journal.js';
import { BadLineReporter, LineSplitter, parseEventLine } from './reader.js';
import type { Envelope } from './topics.js';

export interface FollowOptions {
  root: string;
  /** Nanoseconds since the epoch: print past events from then on. Undefined: only events appended from now. */
  sinceNs?: bigint;
  /** Read what is there and return without following. */
  noFollow?: boolean;
  onEvent: (e: Envelope) => void;
  warn: (line: string) => void;
  /** Aborting stops following; followJournal then resolves. */
  signal?: AbortSignal;
}

const CHUNK = 64 * 1024;

class Cursor {
  fd?: number;
  ino?: number;
  /** Generations (inodes) read or passed over on purpose: never read again. */
  readonly seen = new Set<string>();
  pos = 0;
  private splitter?: LineSplitter;
  private file = '';

  constructor(readonly o: FollowOptions, private readonly bad: BadLineReporter) {}

  private splitterFor(file: string): LineSplitter {
    this.file = file;
    return new LineSplitter((line) => {
      if (line === undefined) return this.bad.report(this.file, 'line too long');
      if (!line.length) return this.bad.report(this.file, 'empty line');
      const p = parseEventLine(line);
      if (!p.ok) return this.bad.report(this.file, p.reason);
      if (this.o.sinceNs === undefined || p.ns >= this.o.sinceNs) this.o.onEvent(p.event);
    });
  }

  /** Takes an open fd; reads from pos. */
  attach(fd: number, file: string, pos: number): void {
    this.fd = fd;
    this.ino = fstatSync(fd).ino;
    this.seen.add(fileId(fstatSync(fd, { bigint: true })));
    this.pos = pos;
    this.splitter = this.splitterFor(file);
  }

  drain(): void {
    if (this.fd === undefined) return;
    const buf = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const n = readSync(this.fd, buf, 0, CHUNK, this.pos);
      if (n <= 0) return;
      this.pos += n;
      this.splitter!.push(buf.subarray(0, n));
    }
  }

  /** finished: no more can be written to it (rotated away), so a line without its newline is damage, not a write in progress. */
  close(finished = false): void {
    if (this.fd === undefined) return;
    if (finished && this.splitter!.pending()) this.bad.report(this.file, 'line without a newline at the end of a finished generation');
    closeSync(this.fd);
    this.fd = undefined;
  }

  /** Reads a whole file once (journal.1 at start, or a generation skipped over). */
  readWhole(path: string): void {
    let fd: number;
    try { fd = openSync(path, 'r'); } catch { return; }
    const c = new Cursor(this.o, this.bad);
    c.attach(fd, path, 0);
    this.seen.add(fileId(fstatSync(fd, { bigint: true })));
    c.drain();
    c.close(true);
  }
}

function inoOf(path: string): number | undefined {
  try { return statSync(path).ino; } catch { return undefined; }
}

/** A generation's identity: the inode number with its birth time, since a freed inode number is soon reused. */
function fileId(st: { ino: bigint; birthtimeNs: bigint }): string {
  return `${st.ino}:${st.birthtimeNs}`;
}

function idOf(path: string): string | undefined {
  try { return fileId(statSync(path, { bigint: true })); } catch { return undefined; }
}

/** Reads, then follows; resolves when o.signal aborts (or at once with noFollow). */
export async function followJournal(o: FollowOptions): Promise<{ malformed: number }> {
  const bad = new BadLineReporter(o.warn);
  const dir = eventsDir(o.root);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const cur = new Cursor(o, bad);
  // Watch first: an append between the first read and the watch would otherwise wait for the next one.
  let watcher: FSWatcher | undefined;
  let failed: Error | undefined;
  let wake: (() => void) | undefined;
  let scheduled = false;
  const pump = () => {
    scheduled = false;
    try { step(cur); } catch (e) { failed = e as Error; wake?.(); }
  };
  if (!o.noFollow) {
    watcher = watch(dir, { persistent: true }, () => { if (!scheduled) { scheduled = true; setImmediate(pump); } });
    watcher.on('error', (e) => { failed = e; wake?.(); });
  }
  try {
    let fd: number | undefined;
    try { fd = openSync(journalPath(o.root), 'r'); } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; }
    if (o.sinceNs !== undefined) {
      // journal.1 is older than the journal we hold, unless a rotation made our fd journal.1 just now.
      const prev = inoOf(previousPath(o.root));
      if (prev !== undefined && (fd === undefined || prev !== fstatSync(fd).ino)) cur.readWhole(previousPath(o.root));
    } else {
      // Only what comes from now on: the previous generation as it is now is old news.
      const prev = idOf(previousPath(o.root));
      if (prev !== undefined) cur.seen.add(prev);
    }
    if (fd !== undefined) cur.attach(fd, journalPath(o.root), o.sinceNs === undefined ? fstatSync(fd).size : 0);
    step(cur);
    if (o.noFollow) return { malformed: bad.count };
    await new Promise<void>((resolve) => {
      wake = resolve;
      if (o.signal?.aborted) resolve();
      o.signal?.addEventListener('abort', () => resolve(), { once: true });
    });
    if (failed) throw failed;
    return { malformed: bad.count };
  } finally {
    watcher?.close();
    cur.close();
  }
}

/** Reads what is new; follows a rotation (or the journal's first creation). */
function step(cur: Cursor): void {
  const { o } = cur;
  for (;;) {
    cur.drain();
    const now = inoOf(journalPath(o.root));
    if (now !== undefined && now === cur.ino) return;
    if (now === undefined && cur.fd === undefined) return;
    if (cur.fd !== undefined) {
      // Rotated: nothing more can be written to the old inode; read it to the end.
      cur.drain();
      cur.close(true);
    }
    // A generation we never saw (we slept through two rotations, or the journal was
    // created and rotated before we first looked) is journal.1 now: read it first.
    const prev = idOf(previousPath(o.root));
    if (prev !== undefined && prev !== idOf(journalPath(o.root)) && !cur.seen.has(prev)) cur.readWhole(previousPath(o.root));
    if (now === undefined) return; // renamed away; the next append creates it
    let fd: number;
    try { fd = openSync(journalPath(o.root), 'r'); } catch { return; }
    cur.attach(fd, journalPath(o.root), 0);
  }
}
