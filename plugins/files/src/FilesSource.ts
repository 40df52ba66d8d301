import { type BigIntStats, constants } from 'node:fs';
import { type FileHandle, lstat, open, opendir, readlink } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { getAttribute, listAttributes } from 'fs-xattr';
import picomatch from 'picomatch';
import { type ItemType, type RunContext, type Source, type SourceItem, type SparseExtent, TapirError } from '@tapir/sdk';
import { Accounts } from './accounts.js';
import type { FilesSourceOptions } from './schema.js';
import { findDataRegions } from './sparseMap.js';

const CHUNK = 1 << 20;

/**
 * Walks file trees and yields their items: a directory before its entries, entries in name order.
 *
 * @remarks
 * Item paths are the absolute paths without the leading `/`, as GNU tar stores them. A file seen again through
 * another hard link becomes a `hardlink` item pointing at the first path. Unreadable entries are reported as
 * warnings and left out; an unreadable root fails the run.
 */
export class FilesSource implements Source {
  readonly object: string;
  private readonly roots: string[];
  private readonly included: ((path: string) => boolean) | undefined;
  private readonly excluded: ((path: string) => boolean) | undefined;
  private readonly accounts = new Accounts();
  private readonly links = new Map<string, string>();

  constructor(private readonly options: FilesSourceOptions) {
    this.roots = options.paths.map((p) => resolve(p));
    this.object = `files:${this.roots.join(',')}`;
    this.included = matcher(options.include);
    this.excluded = matcher(options.exclude);
  }

  async *items(ctx: RunContext): AsyncGenerator<SourceItem> {
    for (const root of this.roots) {
      let stats: BigIntStats;
      try {
        stats = await lstat(root, { bigint: true });
      } catch (error) {
        throw new TapirError('TAPIR_E_SOURCE_UNAVAILABLE', `cannot read ${root}: ${(error as Error).message}`, { path: root }, { cause: error });
      }
      // Parent directories of a root are stored too, so a restore rebuilds the full path with its metadata.
      const parts = root.split('/').filter(Boolean);
      for (let i = 1; i < parts.length; i++) {
        const dir = '/' + parts.slice(0, i).join('/');
        yield await this.item(dir, await lstat(dir, { bigint: true }), ctx);
      }
      yield* this.walk(root, stats, ctx);
    }
  }

  private async *walk(path: string, stats: BigIntStats, ctx: RunContext): AsyncGenerator<SourceItem> {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    const rel = path.slice(1);
    if (this.excluded?.(rel)) return;
    if (!stats.isDirectory()) {
      if (this.included && !this.included(rel)) return;
      const item = await this.item(path, stats, ctx).catch((error) => this.skip(path, error, ctx));
      if (item) yield item;
      return;
    }
    yield await this.item(path, stats, ctx);
    let names: string[];
    try {
      const dir = await opendir(path);
      names = [];
      for await (const entry of dir) names.push(entry.name);
      names.sort();
    } catch (error) {
      this.skip(path, error, ctx);
      return;
    }
    for (const name of names) {
      const child = path === '/' ? `/${name}` : `${path}/${name}`;
      let childStats: BigIntStats;
      try {
        childStats = await lstat(child, { bigint: true });
      } catch (error) {
        this.skip(child, error, ctx);
        continue;
      }
      yield* this.walk(child, childStats, ctx);
    }
  }

  private skip(path: string, error: unknown, ctx: RunContext): undefined {
    ctx.warn({ code: 'FILE_UNREADABLE', item: path.slice(1), message: `${path}: ${(error as Error).message}; left out` });
    return undefined;
  }

  private async item(path: string, s: BigIntStats, ctx: RunContext): Promise<SourceItem> {
    const uid = Number(s.uid);
    const gid = Number(s.gid);
    const base: SourceItem = {
      path: path.slice(1),
      type: 'file',
      mode: Number(s.mode),
      uid,
      gid,
      mtimeNs: s.mtimeNs.toString(),
      atimeNs: s.atimeNs.toString(),
      changeToken: `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}:${s.mode}:${s.uid}:${s.gid}`,
    };
    const uname = this.accounts.user(uid);
    const gname = this.accounts.group(gid);
    if (uname) base.uname = uname;
    if (gname) base.gname = gname;
    const type = itemType(s);
    if (type === undefined) {
      throw new TapirError('TAPIR_E_SOURCE_UNAVAILABLE', `${path}: sockets, FIFOs and device nodes are not backed up`, { path });
    }
    base.type = type;
    if (type === 'symlink') {
      base.linkTarget = await readlink(path);
      return base;
    }
    if (this.options.xattrs !== false) {
      const xattrs = await readXattrs(path);
      if (xattrs) base.xattrs = xattrs;
    }
    if (type === 'directory') return base;
    if (s.nlink > 1n) {
      const key = `${s.dev}:${s.ino}`;
      const first = this.links.get(key);
      if (first !== undefined) return { ...base, type: 'hardlink', linkTarget: first };
      this.links.set(key, base.path);
    }
    const size = Number(s.size);
    base.size = size;
    const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    let sparse: SparseExtent[] | undefined;
    try {
      if (this.options.sparse !== false && Number(s.blocks) * 512 < size) sparse = await findDataRegions(handle, size);
    } finally {
      await handle.close();
    }
    if (sparse) base.sparse = sparse;
    base.open = (signal) => readFile(path, s, sparse, signal, ctx);
    return base;
  }
}

async function* readFile(path: string, before: BigIntStats, sparse: SparseExtent[] | undefined, signal: AbortSignal, ctx: RunContext): AsyncGenerator<Uint8Array> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const regions = sparse ?? [{ offset: 0, length: Number(before.size) }];
    for (const region of regions) {
      let pos = region.offset;
      const end = region.offset + region.length;
      // Keep one read in flight while the consumer works on the previous chunk.
      let pending: Promise<Buffer> | undefined = readChunk(handle, pos, Math.min(CHUNK, end - pos));
      while (pending) {
        const chunk = await pending;
        pending = undefined;
        if (chunk.length === 0) break;
        pos += chunk.length;
        if (pos < end) pending = readChunk(handle, pos, Math.min(CHUNK, end - pos));
        if (signal.aborted) throw signal.reason;
        yield chunk;
      }
    }
    const after = await handle.stat({ bigint: true });
    if (after.mtimeNs !== before.mtimeNs || after.size !== before.size) {
      ctx.warn({ code: 'FILE_CHANGED', item: path.slice(1), message: `${path} changed while it was read` });
    }
  } finally {
    await handle.close();
  }
}

async function readChunk(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  const { bytesRead } = await handle.read(buf, 0, length, position);
  return bytesRead === length ? buf : buf.subarray(0, bytesRead);
}

function itemType(s: BigIntStats): ItemType | undefined {
  if (s.isFile()) return 'file';
  if (s.isDirectory()) return 'directory';
  if (s.isSymbolicLink()) return 'symlink';
  return undefined;
}

async function readXattrs(path: string): Promise<Record<string, string> | undefined> {
  let names: string[];
  try {
    names = await listAttributes(path);
  } catch {
    return undefined; // file system without xattr support
  }
  if (names.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const name of names.sort()) out[name] = (await getAttribute(path, name)).toString('base64');
  return out;
}

function matcher(patterns: string[] | undefined): ((path: string) => boolean) | undefined {
  if (!patterns || patterns.length === 0) return undefined;
  const full = patterns.filter((p) => p.includes('/')).map((p) => picomatch(p.replace(/^\//, ''), { dot: true }));
  const base = patterns.filter((p) => !p.includes('/')).map((p) => picomatch(p, { dot: true }));
  return (path) => full.some((m) => m(path)) || base.some((m) => m(basename(path)));
}
