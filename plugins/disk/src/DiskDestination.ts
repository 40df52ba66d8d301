import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  type Destination,
  type Extent,
  type SaveSetInfo,
  type SaveSetReader,
  type SaveSetWriter,
  TapirError,
} from '@tapir/sdk';

/**
 * Bytes written between two background flushes of a save-set file to disk. Flushing as it goes leaves little for
 * the fsync of `commit`, and keeps the page cache from filling with dirty pages until the kernel throttles writers.
 */
const SYNC_EVERY = 64 << 20;

/** Options of the `disk` destination. */
export interface DiskOptions {
  /** Directory that holds the save-set files. Created when missing. */
  path: string;
}

/**
 * A directory of save-set files, one pax archive per save set, named `<save-set id>.tar`.
 * Each is written as `.<id>.tar.partial`, fsync'd, renamed into place and the directory fsync'd: a save-set file with
 * its final name is always complete.
 */
export class DiskDestination implements Destination {
  readonly description: string;
  private readonly dir: string;

  constructor(options: DiskOptions) {
    this.dir = resolve(options.path);
    this.description = `disk:${this.dir}`;
  }

  async check(): Promise<void> {
    const probe = join(this.dir, `.tapir-probe-${process.pid}`);
    try {
      await mkdir(this.dir, { recursive: true });
      const handle = await open(probe, 'w');
      await handle.close();
      await rm(probe, { force: true });
    } catch (error) {
      throw new TapirError(
        'TAPIR_E_DESTINATION_UNAVAILABLE',
        `destination directory ${this.dir} is not writable: ${(error as Error).message}`,
        { path: this.dir },
        { cause: error },
      );
    }
  }

  async create(info: SaveSetInfo): Promise<SaveSetWriter> {
    const name = `${info.id}.tar`;
    const partial = join(this.dir, `.${name}.partial`);
    let handle: FileHandle;
    try {
      handle = await open(partial, 'wx');
    } catch (error) {
      throw new TapirError(
        'TAPIR_E_DESTINATION_UNAVAILABLE',
        `cannot create ${partial}: ${(error as Error).message}`,
        { path: partial },
        { cause: error },
      );
    }
    return new PartialSaveSetFile(handle, partial, this.dir, name);
  }

  async open(extents: Extent[]): Promise<SaveSetReader> {
    const files = extents.map((e) => join(this.dir, String(e.location.file)));
    const streams: Array<ReturnType<typeof createReadStream>> = [];
    return {
      async *read() {
        for (const file of files) {
          const stream = createReadStream(file, { highWaterMark: 1 << 20 });
          streams.push(stream);
          try {
            yield* stream as AsyncIterable<Buffer>;
          } catch (error) {
            throw new TapirError(
              'TAPIR_E_NOT_FOUND',
              `cannot read save-set file ${file}: ${(error as Error).message}`,
              { path: file },
              { cause: error },
            );
          }
        }
      },
      async close() {
        for (const s of streams) s.destroy();
      },
    };
  }

  async remove(extents: Extent[]): Promise<void> {
    for (const e of extents) await rm(join(this.dir, String(e.location.file)), { force: true });
  }

  async list(): Promise<Extent[][]> {
    const names = (await readdir(this.dir).catch(() => [] as string[]))
      .filter((n) => /^[0-9a-f-]{36}\.tar$/.test(n))
      .sort();
    const out: Extent[][] = [];
    for (const name of names)
      out.push([{ sequence: 0, location: { file: name }, bytes: (await stat(join(this.dir, name))).size }]);
    return out;
  }

  async discard(saveSetId: string): Promise<void> {
    await rm(join(this.dir, `.${saveSetId}.tar.partial`), { force: true });
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * A save set being written to `.<id>.tar.partial`: gathered writes (`writev`), a background `fdatasync` after every
 * {@link SYNC_EVERY} bytes (one at a time, overlapping the writes that follow), and on commit the last fsync, the
 * rename and the directory's fsync.
 */
class PartialSaveSetFile implements SaveSetWriter {
  private bytes = 0;
  private unsynced = 0;
  private syncing: Promise<void> | undefined;
  private syncError: unknown;
  private closed = false;

  constructor(
    private readonly handle: FileHandle,
    private readonly partial: string,
    private readonly dir: string,
    private readonly name: string,
  ) {}

  write(chunk: Uint8Array): Promise<void> {
    return this.writev([chunk]);
  }

  async writev(chunks: Uint8Array[]): Promise<void> {
    this.throwSyncError();
    let pending = chunks.filter((c) => c.length > 0);
    const total = pending.reduce((n, c) => n + c.length, 0);
    let left = total;
    while (left > 0) {
      const { bytesWritten } = await this.handle.writev(pending).catch((error: Error) => {
        throw this.failure('write', error);
      });
      left -= bytesWritten;
      if (left > 0) pending = rest(pending, bytesWritten);
    }
    this.bytes += total;
    this.unsynced += total;
    if (this.unsynced >= SYNC_EVERY && !this.syncing) {
      this.unsynced = 0;
      this.syncing = this.handle.datasync().then(
        () => void (this.syncing = undefined),
        (error: unknown) => {
          this.syncError ??= error;
          this.syncing = undefined;
        },
      );
    }
  }

  async commit(): Promise<Extent[]> {
    await this.syncing;
    this.throwSyncError();
    await this.handle.sync().catch((error: Error) => {
      throw this.failure('sync', error);
    });
    await this.handle.close();
    this.closed = true;
    await rename(this.partial, join(this.dir, this.name));
    await syncDirectory(this.dir);
    return [{ sequence: 0, location: { file: this.name }, bytes: this.bytes }];
  }

  async abort(): Promise<void> {
    await this.syncing;
    if (!this.closed) await this.handle.close().catch(() => {});
    this.closed = true;
    await rm(this.partial, { force: true });
  }

  private throwSyncError(): void {
    if (this.syncError !== undefined) throw this.failure('sync', this.syncError as Error);
  }

  private failure(what: 'write' | 'sync', error: Error): TapirError {
    return new TapirError(
      'TAPIR_E_DESTINATION_UNAVAILABLE',
      `cannot ${what} ${this.partial}: ${error.message}`,
      { path: this.partial },
      { cause: error },
    );
  }
}

/** What is left of a gather list after its first `written` bytes. */
function rest(chunks: Uint8Array[], written: number): Uint8Array[] {
  let skip = written;
  let i = 0;
  while (skip >= chunks[i]!.length) skip -= chunks[i++]!.length;
  return [chunks[i]!.subarray(skip), ...chunks.slice(i + 1)];
}
