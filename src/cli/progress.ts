// Transfer progress for pull, push and fetch. On a terminal: one line per
// blob, redrawn in place (waiting / downloading n of m with speed /
// verifying / done / exists) and a total line. Otherwise: one plain line per
// state change, which a log keeps readable. --quiet prints nothing.
import type { ProgressEvent } from '../image/pull.js';
import { formatSize } from './render.js';

interface Row {
  e: ProgressEvent;
  startedAt?: number;
  startOffset: number;
  endedAt?: number;
}

export interface ProgressOptions {
  out?: NodeJS.WriteStream;
  tty?: boolean;
  quiet?: boolean;
  /** 'uploading' for push. */
  activeWord?: string;
}

export class Progress {
  private readonly rows = new Map<string, Row>();
  private readonly out: NodeJS.WriteStream;
  private readonly tty: boolean;
  private drawn = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly started = Date.now();
  private readonly headLines: string[] = [];

  constructor(private readonly opts: ProgressOptions = {}) {
    this.out = opts.out ?? process.stdout;
    this.tty = opts.tty ?? this.out.isTTY === true;
  }

  /** A line above the table (e.g. "resolved ... "); `replace` rewrites the last one on a terminal. */
  note(line: string, replace = false): void {
    if (this.opts.quiet) return;
    if (this.tty) {
      if (replace && this.headLines.length > 0) this.headLines[this.headLines.length - 1] = line;
      else this.headLines.push(line);
      this.schedule();
    } else this.out.write(line + '\n');
  }

  update = (e: ProgressEvent): void => {
    if (this.opts.quiet) return;
    const row = this.rows.get(e.digest);
    const prev = row?.e.status;
    const now = Date.now();
    if (!row) this.rows.set(e.digest, { e, startOffset: e.offset, startedAt: e.status === 'downloading' ? now : undefined });
    else {
      if (e.status === 'downloading' && row.startedAt === undefined) {
        row.startedAt = now;
        row.startOffset = e.offset;
      }
      if ((e.status === 'done' || e.status === 'exists') && row.endedAt === undefined) row.endedAt = now;
      row.e = e;
    }
    if (this.tty) this.schedule();
    else if (prev !== e.status && e.status !== 'waiting') this.out.write(this.line(this.rows.get(e.digest)!, false) + '\n');
  };

  private schedule(): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.draw();
    }, 100);
  }

  private draw(): void {
    const width = Math.max(60, this.out.columns || 100);
    const lines = [...this.headLines, ...[...this.rows.values()].map((r) => this.line(r, true)), this.total()].map((l) => (l.length > width - 1 ? l.slice(0, width - 2) + '…' : l));
    let s = this.drawn > 0 ? `\x1b[${this.drawn}A` : '';
    for (const l of lines) s += `\x1b[2K${l}\n`;
    this.out.write(s);
    this.drawn = lines.length;
  }

  private line(r: Row, bar: boolean): string {
    const { e } = r;
    const id = `${e.kind}-${e.digest.replace('sha256:', 'sha256:').slice(0, 19)}`;
    const word = e.status === 'downloading' ? this.opts.activeWord ?? 'downloading' : e.status;
    let detail = '';
    if (e.status === 'downloading' || e.status === 'resuming') {
      const secs = r.startedAt ? (Date.now() - r.startedAt) / 1000 : 0;
      const speed = secs > 0.2 ? `  ${formatSize((e.offset - r.startOffset) / secs)}/s` : '';
      detail = `${bar ? progressBar(e.offset, e.total) + ' ' : ''}${formatSize(e.offset)} of ${formatSize(e.total)}${speed}`;
    } else if (e.status === 'done') {
      const secs = r.startedAt && r.endedAt ? ` in ${((r.endedAt - r.startedAt) / 1000).toFixed(1)}s` : '';
      detail = `${formatSize(e.total)}${secs}`;
    } else detail = formatSize(e.total);
    return `${id.padEnd(28)} ${word.padEnd(12)} ${detail}`;
  }

  private total(): string {
    let have = 0;
    let all = 0;
    for (const r of this.rows.values()) {
      all += r.e.total;
      have += r.e.status === 'done' || r.e.status === 'exists' ? r.e.total : r.e.offset;
    }
    return `elapsed: ${((Date.now() - this.started) / 1000).toFixed(1)}s`.padEnd(28) + ` total: ${formatSize(have)} of ${formatSize(all)}`;
  }

  /** Final redraw (TTY) or a summary line. */
  finish(summary?: string): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.opts.quiet) return;
    if (this.tty) this.draw();
    if (summary) this.out.write(summary + '\n');
  }
}

function progressBar(n: number, total: number, width = 20): string {
  const f = total > 0 ? Math.min(1, n / total) : 1;
  const k = Math.round(f * width);
  return '|' + '+'.repeat(k) + '-'.repeat(width - k) + '|';
}
