import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ManifestItem } from '../format/saveSetFormat.js';

const FLUSH_AT = 1 << 20;

/**
 * Collects manifest lines during a run in a temporary file, so memory does not grow with the number of items, and
 * reads them back as segments for the manifest members at the end of the archive.
 *
 * The file has no name once it is open: its directory is removed at once, so the system frees it when the process
 * ends, however it ends (a `kill -9` used to leave a `tapir-manifest-*` directory in the temporary directory).
 */
export class ManifestSpool {
  private pending: string[] = [];
  private pendingBytes = 0;
  private constructor(private readonly handle: FileHandle) {}

  static async create(): Promise<ManifestSpool> {
    const dir = await mkdtemp(join(tmpdir(), 'tapir-manifest-'));
    try {
      return new ManifestSpool(await open(join(dir, 'manifest.jsonl'), 'w+'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Adds an item's manifest line; `json` is `JSON.stringify(item)` when the caller has it already. */
  async add(item: ManifestItem, json = JSON.stringify(item)): Promise<void> {
    const line = json + '\n';
    this.pending.push(line);
    this.pendingBytes += line.length;
    if (this.pendingBytes >= FLUSH_AT) await this.flush();
  }

  /** Yields the manifest as segments of at most `max` bytes, cut at line ends, followed by `last`. */
  async *segments(max: number, last: string): AsyncGenerator<Buffer> {
    await this.flush();
    const { size } = await this.handle.stat();
    let pos = 0;
    let carry = Buffer.alloc(0);
    const tail = Buffer.from(last + '\n');
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(max, 8 << 20));
      const { bytesRead } = pos < size ? await this.handle.read(buf, 0, buf.length, pos) : { bytesRead: 0 };
      pos += bytesRead;
      const data = Buffer.concat([carry, buf.subarray(0, bytesRead)]);
      if (pos >= size) {
        const all = Buffer.concat([data, tail]);
        if (all.length <= max) {
          yield all;
          return;
        }
      }
      const cut = data.lastIndexOf(0x0a, max - 1) + 1;
      if (cut <= 0) {
        // A single line longer than a segment: emit it whole rather than never.
        if (pos >= size) {
          yield data;
          carry = Buffer.alloc(0);
        } else {
          carry = data;
        }
        continue;
      }
      yield data.subarray(0, cut);
      carry = data.subarray(cut);
    }
  }

  async dispose(): Promise<void> {
    await this.handle.close().catch(() => {});
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const text = this.pending.join('');
    // The same array again: with a new one each time, V8 deoptimised the code that pushes to it ("not a Smi").
    this.pending.length = 0;
    this.pendingBytes = 0;
    await this.handle.write(text);
  }
}
