// A reader of source map v3 files (the ones esbuild writes next to each bundle),
// enough to say which source file a generated line:column came from. The maps
// are our own build's output, but a map is still parsed defensively: a bad
// "mappings" string or an index out of range yields no source, never a throw.
import { readFileSync } from 'node:fs';

const B64 = new Map([...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].map((c, i) => [c, i]));

/** One generated line's segments: [generated column, source index], sorted by column. */
type Line = Array<[number, number]>;

export class SourceMap {
  private constructor(readonly sources: string[], private readonly lines: Line[]) {}

  static read(file: string): SourceMap | undefined {
    try {
      return SourceMap.parse(readFileSync(file, 'utf8'));
    } catch {
      return undefined;
    }
  }

  static parse(text: string): SourceMap | undefined {
    const m = JSON.parse(text) as { version?: unknown; sources?: unknown; mappings?: unknown };
    if (m.version !== 3 || !Array.isArray(m.sources) || typeof m.mappings !== 'string') return undefined;
    const sources = m.sources.map(String);
    return new SourceMap(sources, decode(m.mappings, sources.length));
  }

  /** The source file of generated 0-based line:column (the last segment at or before it), or undefined. */
  sourceAt(line: number, column: number): string | undefined {
    const segs = this.lines[line];
    if (!segs?.length) return undefined;
    let lo = 0;
    let hi = segs.length - 1;
    if (segs[0]![0] > column) return undefined;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (segs[mid]![0] <= column) lo = mid;
      else hi = mid - 1;
    }
    return this.sources[segs[lo]![1]];
  }
}

/** The "mappings" field: lines split by ';', segments by ',', each a run of base64 VLQs (relative values). */
function decode(mappings: string, nSources: number): Line[] {
  const lines: Line[] = [];
  let source = 0;
  for (const text of mappings.split(';')) {
    const line: Line = [];
    let column = 0;
    for (const seg of text.split(',')) {
      if (!seg) continue;
      const v = vlqs(seg);
      if (!v || v.length < 1) continue;
      column += v[0]!;
      if (v.length >= 4) {
        source += v[1]!;
        if (column >= 0 && source >= 0 && source < nSources) line.push([column, source]);
      }
    }
    line.sort((a, b) => a[0] - b[0]);
    lines.push(line);
  }
  return lines;
}

function vlqs(seg: string): number[] | undefined {
  const out: number[] = [];
  let value = 0;
  let shift = 0;
  for (const c of seg) {
    const d = B64.get(c);
    if (d === undefined || shift > 30) return undefined;
    value += (d & 31) << shift;
    if (d & 32) { shift += 5; continue; }
    out.push(value & 1 ? -(value >>> 1) : value >>> 1);
    value = 0;
    shift = 0;
  }
  return shift ? undefined : out;
}
