// A small streaming tar writer for archives tsctr exports: ustar headers
// (from node-tar's Header), fixed owner and mode, file bodies streamed from
// disk with backpressure, and the two zero blocks at the end.
import { createReadStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { Header } from 'tar';

export class TarOut {
  private readonly mtime = new Date();
  constructor(private readonly out: Writable) {}

  private async put(buf: Buffer): Promise<void> {
    if (!this.out.write(buf)) await once(this.out, 'drain');
  }

  private header(path: string, type: 'File' | 'Directory', size: number, mode: number): Buffer {
    const block = Buffer.alloc(512);
    new Header({ path, type, mode, uid: 0, gid: 0, size, mtime: this.mtime }).encode(block, 0);
    return block;
  }

  async dir(path: string): Promise<void> {
    await this.put(this.header(path.endsWith('/') ? path : path + '/', 'Directory', 0, 0o755));
  }

  async file(path: string, body: Buffer, mode = 0o644): Promise<void> {
    await this.put(this.header(path, 'File', body.length, mode));
    await this.put(body);
    await this.pad(body.length);
  }

  /** Stream a file of known size from disk. */
  async fileFrom(path: string, source: string, size: number, mode = 0o444): Promise<void> {
    await this.put(this.header(path, 'File', size, mode));
    let n = 0;
    for await (const chunk of createReadStream(source)) {
      n += (chunk as Buffer).length;
      await this.put(chunk as Buffer);
    }
    if (n !== size) throw new Error(`${source}: expected ${size} bytes, read ${n}`);
    await this.pad(size);
  }

  private async pad(size: number): Promise<void> {
    const p = (512 - (size % 512)) % 512;
    if (p) await this.put(Buffer.alloc(p));
  }

  async end(): Promise<void> {
    await this.put(Buffer.alloc(1024));
    this.out.end();
    await once(this.out, 'finish');
  }
}
