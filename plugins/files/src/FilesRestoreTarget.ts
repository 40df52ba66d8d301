import { constants } from 'node:fs';
import {
  chmod,
  chown,
  type FileHandle,
  lchown,
  link,
  lstat,
  lutimes,
  mkdir,
  open,
  readdir,
  rm,
  symlink,
  utimes,
} from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { setAttribute } from 'fs-xattr';
import { type ItemMeta, type RestoreTarget, TapirError } from '@tapir/sdk';
import type { FilesRestoreOptions } from './schema.js';

const isRoot = process.getuid?.() === 0;
/** Files up to this size are written in the background, several at a time: small files are bound by latency. */
const BACKGROUND_LIMIT = 1 << 20;
const BACKGROUND_WRITES = 16;

/**
 * Restores items into a directory.
 *
 * @remarks
 * Never writes outside its root: paths with `..` or a leading `/` are refused, files are opened with O_NOFOLLOW,
 * and links are made only after every file, so no file is ever written through a link the save set created.
 * Directory modes and times are applied last, deepest first.
 */
export class FilesRestoreTarget implements RestoreTarget {
  private readonly root: string;
  private readonly directories: ItemMeta[] = [];
  private readonly links: ItemMeta[] = [];
  private readonly made = new Set<string>();
  private readonly writing = new Set<Promise<void>>();
  private readonly failures: string[] = [];

  constructor(private readonly options: FilesRestoreOptions) {
    this.root = options.path;
  }

  async prepare(): Promise<void> {
    try {
      const entries = await readdir(this.root);
      if (entries.length > 0 && !this.options.overwrite) {
        throw new TapirError(
          'TAPIR_E_RESTORE_TARGET',
          `restore target ${this.root} is not empty (${entries.length} entries); choose an empty directory or allow overwriting`,
          { path: this.root },
        );
      }
    } catch (error) {
      if (error instanceof TapirError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') {
        throw new TapirError(
          'TAPIR_E_RESTORE_TARGET',
          `restore target ${this.root} cannot be used: ${(error as Error).message}`,
          { path: this.root },
          { cause: error },
        );
      }
      try {
        await mkdir(this.root, { recursive: true });
      } catch (mkdirError) {
        throw new TapirError(
          'TAPIR_E_RESTORE_TARGET',
          `cannot create restore target ${this.root}: ${(mkdirError as Error).message}`,
          { path: this.root },
          { cause: mkdirError },
        );
      }
    }
  }

  async write(item: ItemMeta, data: AsyncIterable<Uint8Array> | undefined): Promise<void> {
    const target = this.resolve(item.path);
    switch (item.type) {
      case 'directory':
        if (this.options.overwrite) await this.refuseLinkedParents(item.path, true);
        await this.ensureDirectory(target);
        this.directories.push(item);
        return;
      case 'symlink':
      case 'hardlink':
        this.links.push(item);
        return;
      default:
        if (this.options.overwrite) await this.refuseLinkedParents(item.path);
        await this.ensureDirectory(dirname(target));
        if ((item.size ?? Infinity) <= BACKGROUND_LIMIT && !item.sparse) {
          // Take the data now (its hash is checked as it is read), write it while the next items arrive.
          const content: Buffer[] = [];
          if (data)
            for await (const chunk of data) content.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          await this.inBackground(item.path, () => this.writeFile(target, item, toIterable(content)));
        } else {
          await this.writeFile(target, item, data);
        }
    }
  }

  /** Creates a directory (and its parents) once; later files in it skip the system call. */
  private async ensureDirectory(path: string): Promise<void> {
    if (this.made.has(path)) return;
    await mkdir(path, { recursive: true, mode: 0o700 });
    this.made.add(path);
  }

  /** Runs a write with at most BACKGROUND_WRITES in flight; failures fail the whole restore in finish(). */
  private async inBackground(path: string, write: () => Promise<void>): Promise<void> {
    while (this.writing.size >= BACKGROUND_WRITES) await Promise.race(this.writing);
    const task: Promise<void> = write()
      .catch((error: unknown) => {
        this.failures.push(`${path}: ${(error as Error).message}`);
      })
      .finally(() => this.writing.delete(task));
    this.writing.add(task);
  }

  async finish(): Promise<void> {
    await Promise.all(this.writing);
    if (this.failures.length > 0) {
      throw new TapirError(
        'TAPIR_E_RESTORE_TARGET',
        `${this.failures.length} file(s) could not be written under ${this.root}: ${this.failures.slice(0, 5).join('; ')}`,
        { path: this.root },
      );
    }
    // Hard links first, then symlinks: once a symlink exists nothing more is written beneath it.
    for (const item of this.links.filter((l) => l.type === 'hardlink')) {
      const target = this.resolve(item.path);
      await mkdir(dirname(target), { recursive: true, mode: 0o700 });
      await rm(target, { force: true });
      await link(this.resolve(item.linkTarget ?? ''), target);
    }
    for (const item of this.links.filter((l) => l.type === 'symlink')) {
      const target = this.resolve(item.path);
      await mkdir(dirname(target), { recursive: true, mode: 0o700 });
      await rm(target, { force: true });
      await symlink(item.linkTarget ?? '', target);
      if (isRoot && item.uid !== undefined) await lchown(target, item.uid, item.gid ?? 0);
      if (item.mtimeNs) await lutimes(target, seconds(item.atimeNs ?? item.mtimeNs), seconds(item.mtimeNs));
    }
    const deepestFirst = [...this.directories].sort((a, b) => b.path.split('/').length - a.path.split('/').length);
    for (const dir of deepestFirst) await this.applyMetadata(this.resolve(dir.path), dir);
  }

  private async writeFile(target: string, item: ItemMeta, data: AsyncIterable<Uint8Array> | undefined): Promise<void> {
    if (this.options.overwrite) await rm(target, { force: true });
    const handle = await open(
      target,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      0o600,
    );
    try {
      if (data) {
        const regions = item.sparse ?? [{ offset: 0, length: Number.MAX_SAFE_INTEGER }];
        let region = 0;
        let pos = regions[0]?.offset ?? 0;
        let left = regions[0]?.length ?? 0;
        for await (const chunk of data) {
          let buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
          while (buf.length > 0) {
            while (left === 0 && region < regions.length - 1) {
              region++;
              pos = regions[region]!.offset;
              left = regions[region]!.length;
            }
            const n = Math.min(buf.length, left);
            if (n === 0)
              throw new TapirError('TAPIR_E_ITEM_DAMAGED', `${item.path}: more data than its sparse map holds`, {
                item: item.path,
              });
            await writeAll(handle, buf.subarray(0, n), pos);
            pos += n;
            left -= n;
            buf = buf.subarray(n);
          }
        }
      }
      if (item.sparse && item.size !== undefined) await handle.truncate(item.size);
    } catch (error) {
      await handle.close();
      await rm(target, { force: true });
      throw error;
    }
    await handle.close();
    await this.applyMetadata(target, item);
  }

  private async applyMetadata(path: string, item: ItemMeta): Promise<void> {
    for (const [name, value] of Object.entries(item.xattrs ?? {})) {
      try {
        await setAttribute(path, name, Buffer.from(value, 'base64'));
      } catch (error) {
        throw new TapirError(
          'TAPIR_E_RESTORE_TARGET',
          `${path}: cannot set extended attribute ${name}: ${(error as Error).message}`,
          { path, item: item.path },
        );
      }
    }
    if (isRoot && item.uid !== undefined) await chown(path, item.uid, item.gid ?? 0);
    if (item.mode !== undefined) await chmod(path, item.mode & 0o7777);
    if (item.mtimeNs) await utimes(path, seconds(item.atimeNs ?? item.mtimeNs), seconds(item.mtimeNs));
  }

  /**
   * In a non-empty target, a directory on the way may be a symlink that leads out: refuse to write through it.
   * With `self`, the path itself must not be a symlink either (a directory about to be entered).
   */
  private async refuseLinkedParents(path: string, self = false): Promise<void> {
    const all = posix.normalize(path).split('/');
    const parts = self ? all : all.slice(0, -1);
    let current = this.root;
    for (const part of parts) {
      current = join(current, part);
      const s = await lstat(current).catch(() => undefined);
      if (s?.isSymbolicLink()) {
        throw new TapirError('TAPIR_E_UNSAFE_PATH', `refusing to restore ${path}: ${current} is a symbolic link`, {
          item: path,
          path: current,
        });
      }
    }
  }

  /** Maps an item path into the target, refusing anything that would leave it. */
  private resolve(path: string): string {
    const normal = posix.normalize(path);
    if (
      path === '' ||
      posix.isAbsolute(path) ||
      normal === '..' ||
      normal.startsWith('../') ||
      normal.split('/').includes('..')
    ) {
      throw new TapirError(
        'TAPIR_E_UNSAFE_PATH',
        `refusing to restore ${JSON.stringify(path)}: it would leave ${this.root}`,
        { item: path, path: this.root },
      );
    }
    return join(this.root, normal);
  }
}

async function writeAll(handle: FileHandle, buf: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesWritten } = await handle.write(buf, done, buf.length - done, position + done);
    done += bytesWritten;
  }
}

function seconds(ns: string): number {
  const n = BigInt(ns);
  return Number(n / 1_000_000_000n) + Number(n % 1_000_000_000n) / 1e9;
}

async function* toIterable(chunks: Buffer[]): AsyncGenerator<Buffer> {
  yield* chunks;
}
