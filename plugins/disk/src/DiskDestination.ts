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
    let bytes = 0;
    let closed = false;
    const dir = this.dir;
    return {
      async write(chunk) {
        let done = 0;
        while (done < chunk.length) {
          const { bytesWritten } = await handle.write(chunk, done, chunk.length - done).catch((error: Error) => {
            throw new TapirError(
              'TAPIR_E_DESTINATION_UNAVAILABLE',
              `cannot write ${partial}: ${error.message}`,
              { path: partial },
              { cause: error },
            );
          });
          done += bytesWritten;
        }
        bytes += chunk.length;
      },
      async commit(): Promise<Extent[]> {
        await handle.sync();
        await handle.close();
        closed = true;
        await rename(partial, join(dir, name));
        await syncDirectory(dir);
        return [{ sequence: 0, location: { file: name }, bytes }];
      },
      async abort() {
        if (!closed) await handle.close().catch(() => {});
        closed = true;
        await rm(partial, { force: true });
      },
    };
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
