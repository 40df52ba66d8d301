import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Worker } from 'node:worker_threads';
import {
  type ChunkBuffers,
  type ItemEncoderSpec,
  type ItemsPlan,
  type RunContext,
  type Source,
  type SourceItem,
  type SparseExtent,
  TapirError,
} from '@tapir/sdk';
import type { ScannedItem, ScanEntry } from './scan.js';
import type { FromScan, ScanWork, ToScan } from './scanWorker.js';
import { takeScanThread } from './scanThreads.js';
import type { FilesSourceOptions } from './schema.js';

const CHUNK = 1 << 20;
/** Batches of scanned entries (each at most 128 entries or 4 MiB of small files) ahead of the encoder. */
const BATCHES_AHEAD = 4;

/**
 * Walks file trees and yields their items: a directory before its entries, entries in name order.
 *
 * @remarks
 * Item paths are the absolute paths without the leading `/`, as GNU tar stores them. A file seen again through
 * another hard link becomes a `hardlink` item pointing at the first path. Unreadable entries are reported as
 * warnings and left out; an unreadable root fails the run.
 *
 * The walk, `lstat`, extended attributes, sparse maps and the content of small files are done by a scan thread
 * (`scan.ts`), ahead of the encoder: 20,000 small files took 1.72–1.78 s so, 2.37 s with that work on the encoder's
 * thread (`bench/README.md`).
 * Larger files are streamed from here when the encoder gets to them.
 */
export class FilesSource implements Source {
  readonly object: string;
  private readonly roots: string[];
  /** First path seen of each multiply-linked inode. */
  private readonly links = new Map<string, string>();

  constructor(private readonly options: FilesSourceOptions) {
    // A root inside another root, or named twice, is walked once.
    const resolved = [...new Set(options.paths.map((p) => resolve(p)))];
    this.roots = resolved.filter(
      (r) => !resolved.some((other) => other !== r && (r.startsWith(`${other}/`) || other === '/')),
    );
    this.object = `files:${this.roots.join(',')}`;
  }

  async *items(ctx: RunContext, plan?: ItemsPlan): AsyncGenerator<SourceItem> {
    const scan = new ScanThread(
      {
        roots: this.roots,
        ...(this.options.include ? { include: this.options.include } : {}),
        ...(this.options.exclude ? { exclude: this.options.exclude } : {}),
        xattrs: this.options.xattrs !== false,
        sparse: this.options.sparse !== false,
      },
      plan?.itemEncoder,
    );
    try {
      for (;;) {
        const entries = await scan.next();
        if (entries === undefined) return;
        for (const entry of entries) {
          if (ctx.signal.aborted) throw ctx.signal.reason;
          if (entry.kind === 'warn') ctx.warn(entry.warning);
          else if (entry.kind === 'error')
            throw new TapirError('TAPIR_E_SOURCE_UNAVAILABLE', entry.message, { path: entry.path });
          else yield this.linked(sourceItem(entry, ctx));
        }
      }
    } finally {
      await scan.close();
    }
  }

  /** Hard links are decided in walk order: the first name of an inode carries the data, later names link to it. */
  private linked({ item, inode }: { item: SourceItem; inode: string | undefined }): SourceItem {
    if (inode === undefined) return item;
    const first = this.links.get(inode);
    if (first === undefined) {
      this.links.set(inode, item.path);
      return item;
    }
    const { open: _open, encoded: _encoded, size: _size, sparse: _sparse, ...meta } = item;
    return { ...meta, type: 'hardlink', linkTarget: first };
  }
}

/**
 * The source item of a scanned entry: a small file's content as read or as encoded on the scan thread, a larger file
 * streamed on `open`.
 */
function sourceItem(entry: ScannedItem, ctx: RunContext): { item: SourceItem; inode: string | undefined } {
  const item: SourceItem = entry.item;
  const { content, encoded, before } = entry;
  if (encoded !== undefined) {
    item.encoded = encoded;
    // Read again only if tapir does not take the encoded data, which it always does for its own encoder.
    item.open = (signal, buffers) =>
      readFile(item.path, { mtimeNs: item.mtimeNs!, size: encoded.size }, undefined, signal, ctx, buffers);
  } else if (content !== undefined) {
    const data = Buffer.from(content.buffer, content.byteOffset, content.byteLength);
    item.open = async function* () {
      yield data;
    };
  } else if (before !== undefined) {
    const { sparse } = item;
    item.open = (signal, buffers) => readFile(item.path, before, sparse, signal, ctx, buffers);
  }
  return { item, inode: entry.inode };
}

/**
 * The scan thread (`scanWorker.ts`) and its batches, taken in order. A credit goes back for each batch taken, so at
 * most {@link BATCHES_AHEAD} wait here.
 */
class ScanThread {
  private readonly worker: Worker;
  private readonly batches: ScanEntry[][] = [];
  private done = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(options: ScanWork['options'], itemEncoder: ItemEncoderSpec | undefined) {
    this.worker = takeScanThread();
    const work: ScanWork = { options, credits: BATCHES_AHEAD, ...(itemEncoder ? { itemEncoder } : {}) };
    this.worker.postMessage({ op: 'start', work } satisfies ToScan);
    this.worker.on('message', (msg: FromScan) => {
      if (msg.op === 'entries') this.batches.push(msg.entries);
      else if (msg.op === 'done') this.done = true;
      else this.failure ??= new TapirError('TAPIR_E_SOURCE_UNAVAILABLE', `the file scan failed: ${msg.message}`);
      this.wake?.();
    });
    this.worker.on('error', (error) => {
      this.failure ??= new TapirError(
        'TAPIR_E_SOURCE_UNAVAILABLE',
        `the file scan failed: ${error.message}`,
        {},
        {
          cause: error,
        },
      );
      this.wake?.();
    });
    this.worker.on('exit', (code) => {
      if (!this.done)
        this.failure ??= new TapirError(
          'TAPIR_E_SOURCE_UNAVAILABLE',
          `the file scan thread ended early (exit code ${code})`,
        );
      this.wake?.();
    });
    this.worker.unref();
  }

  /** The next batch in walk order, or undefined at the end of the walk. */
  async next(): Promise<ScanEntry[] | undefined> {
    for (;;) {
      const batch = this.batches.shift();
      if (batch !== undefined) {
        this.worker.postMessage({ op: 'credit' } satisfies ToScan);
        return batch;
      }
      if (this.failure) throw this.failure;
      if (this.done) return undefined;
      // Referenced only while waited for: a run that drops the source early is not kept alive by the thread.
      this.worker.ref();
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.worker.unref();
      this.wake = undefined;
    }
  }

  /** Stops the thread (at the end, or when the run stops early). */
  async close(): Promise<void> {
    this.done = true;
    // Referenced while it stops, so that its exit keeps the process alive until it is reported.
    this.worker.ref();
    await this.worker.terminate();
  }
}

async function* readFile(
  path: string,
  before: { mtimeNs: string; size: number },
  sparse: SparseExtent[] | undefined,
  signal: AbortSignal,
  ctx: RunContext,
  buffers: ChunkBuffers | undefined,
): AsyncGenerator<Uint8Array> {
  const full = `/${path}`;
  const handle = await open(full, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const regions = sparse ?? [{ offset: 0, length: before.size }];
    for (const region of regions) {
      let pos = region.offset;
      const end = region.offset + region.length;
      // Keep one read in flight while the consumer works on the previous chunk.
      let pending: Promise<Buffer> | undefined = readChunk(handle, pos, Math.min(CHUNK, end - pos), buffers);
      while (pending) {
        const chunk = await pending;
        pending = undefined;
        if (chunk.length === 0) break;
        pos += chunk.length;
        if (pos < end) pending = readChunk(handle, pos, Math.min(CHUNK, end - pos), buffers);
        if (signal.aborted) throw signal.reason;
        yield chunk;
      }
    }
    const after = await handle.stat({ bigint: true });
    if (after.mtimeNs.toString() !== before.mtimeNs || Number(after.size) !== before.size) {
      ctx.warn({ code: 'FILE_CHANGED', item: path, message: `${full} changed while it was read` });
    }
  } finally {
    await handle.close();
  }
}

async function readChunk(
  handle: FileHandle,
  position: number,
  length: number,
  buffers: ChunkBuffers | undefined,
): Promise<Buffer> {
  const buf = buffers ? buffers.take(length) : Buffer.allocUnsafe(length);
  const { bytesRead } = await handle.read(buf, 0, length, position);
  return bytesRead === length ? buf : buf.subarray(0, bytesRead);
}
