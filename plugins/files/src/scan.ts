/**
 * The file-tree walk of the `files` source, with everything known before an item's data is read: `lstat`, the link
 * target, extended attributes, the data regions of a sparse file, and the whole content of a small file. It runs on
 * the scan thread ({@link ./scanWorker.ts}), with synchronous calls: there they cost the system call and nothing
 * else, and the thread that encodes and writes the save set never waits for them.
 */
import {
  type BigIntStats,
  closeSync,
  constants,
  lstatSync,
  openSync,
  readdirSync,
  readlinkSync,
  readSync,
} from 'node:fs';
import { basename } from 'node:path';
import { getAttributeSync, listAttributesSync } from 'fs-xattr';
import picomatch from 'picomatch';
import type { EncodedData, ItemType, RunWarning, SourceItem, SparseExtent } from '@tapir/sdk';
import { Accounts } from './accounts.js';

/** Files up to this size are read whole by the scan; larger ones are streamed when the encoder gets to them. */
export const SMALL_FILE = 256 << 10;
const BLOCK = 4096;
const ZERO = Buffer.alloc(BLOCK);

/** What the scan is told (the source's options, roots resolved). */
export interface ScanOptions {
  roots: string[];
  include?: string[];
  exclude?: string[];
  xattrs: boolean;
  sparse: boolean;
}

/** An item as scanned: plain data that crosses to the encoder's thread, with the content of a small file. */
export interface ScannedItem {
  kind: 'item';
  item: Omit<SourceItem, 'open' | 'encoded'>;
  /** `dev:ino` of a file with several names. */
  inode?: string;
  /**
   * The whole content of a file of at most {@link SMALL_FILE} bytes (not sparse), in the space the scan's
   * {@link ReadSpace} gave: the scan thread reads it straight into the buffer it posts.
   */
  content?: Uint8Array;
  /** That content hashed and encoded by the save set's item encoder, instead of `content` (see `scanWorker.ts`). */
  encoded?: EncodedData;
  /** For a file streamed later: `mtimeNs` and size when scanned, to report a change while it is read. */
  before?: { mtimeNs: string; size: number };
}

/** What the scan yields, in walk order: items, warnings about entries left out, or the error that ends the run. */
export type ScanEntry =
  ScannedItem | { kind: 'warn'; warning: RunWarning } | { kind: 'error'; message: string; path: string };

interface WalkEntry {
  path: string;
  directory: boolean;
  /** A root of the source or one of its parents: failing to read it fails the run. */
  root: boolean;
}

/**
 * An error whose message already names its path: at a root it ends the scan as it is; below one, it becomes a
 * warning about an entry left out.
 */
class RootError extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
  }
}

/**
 * Where the scan reads a small file of `bytes` bytes (its size and one byte more): a buffer of at least that length,
 * valid until the next entry is taken.
 */
export type ReadSpace = (bytes: number) => Buffer;

/**
 * Walks the roots: each root's parent directories, then the root, a directory before its entries, entries in name
 * order. An entry that cannot be read is a warning and is left out; a root that cannot be read ends the scan with an
 * error entry. Small files are read whole into the space `readSpace` gives.
 */
export function* scan(options: ScanOptions, readSpace: ReadSpace): Generator<ScanEntry> {
  const included = matcher(options.include);
  const excluded = matcher(options.exclude);
  const accounts = new Accounts();
  const parentsDone = new Set<string>();
  const warnings: RunWarning[] = [];

  function* descend(path: string, directory: boolean, root: boolean): Generator<WalkEntry> {
    const rel = path.slice(1);
    if (!root && excluded?.(rel)) return;
    if (!directory) {
      if (included && !included(rel)) return;
      yield { path, directory: false, root };
      return;
    }
    yield { path, directory: true, root };
    let entries: Array<{ name: string; directory: boolean }>;
    try {
      entries = readdirSync(path, { withFileTypes: true }).map((e) => ({ name: e.name, directory: e.isDirectory() }));
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    } catch (error) {
      warnings.push(unreadable(path, error));
      return;
    }
    for (const entry of entries)
      yield* descend(path === '/' ? `/${entry.name}` : `${path}/${entry.name}`, entry.directory, false);
  }

  function* walk(): Generator<WalkEntry> {
    for (const root of options.roots) {
      let stats: BigIntStats;
      try {
        stats = lstatSync(root, { bigint: true });
      } catch (error) {
        throw new RootError(`cannot read ${root}: ${(error as Error).message}`, root);
      }
      // Parent directories of a root are stored too, so a restore rebuilds the full path with its metadata.
      const parts = root.split('/').filter(Boolean);
      for (let i = 1; i < parts.length; i++) {
        const parent = '/' + parts.slice(0, i).join('/');
        if (parentsDone.has(parent)) continue;
        parentsDone.add(parent);
        yield { path: parent, directory: true, root: true };
      }
      yield* descend(root, stats.isDirectory(), true);
    }
  }

  try {
    for (const entry of walk()) {
      for (const warning of warnings.splice(0)) yield { kind: 'warn', warning };
      let scanned: ScannedItem;
      try {
        const stats = lstatSync(entry.path, { bigint: true });
        scanned = scanItem(entry.path, stats, options, accounts, warnings, readSpace);
      } catch (error) {
        if (entry.root)
          throw error instanceof RootError
            ? error
            : new RootError(`cannot read ${entry.path}: ${(error as Error).message}`, entry.path);
        warnings.push(unreadable(entry.path, error));
        continue;
      }
      for (const warning of warnings.splice(0)) yield { kind: 'warn', warning };
      yield scanned;
    }
    for (const warning of warnings.splice(0)) yield { kind: 'warn', warning };
  } catch (error) {
    if (!(error instanceof RootError)) throw error;
    yield { kind: 'error', message: error.message, path: error.path };
  }
}

function scanItem(
  path: string,
  s: BigIntStats,
  options: ScanOptions,
  accounts: Accounts,
  warnings: RunWarning[],
  readSpace: ReadSpace,
): ScannedItem {
  const uid = Number(s.uid);
  const gid = Number(s.gid);
  const type = itemType(s);
  if (type === undefined) throw new RootError(`${path}: sockets, FIFOs and device nodes are not backed up`, path);
  const item: ScannedItem['item'] = {
    path: path.slice(1),
    type,
    mode: Number(s.mode),
    uid,
    gid,
    mtimeNs: s.mtimeNs.toString(),
    atimeNs: s.atimeNs.toString(),
    changeToken: `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}:${s.mode}:${s.uid}:${s.gid}`,
  };
  const uname = accounts.user(uid);
  const gname = accounts.group(gid);
  if (uname) item.uname = uname;
  if (gname) item.gname = gname;
  if (type === 'symlink') {
    item.linkTarget = readlinkSync(path);
    return { kind: 'item', item };
  }
  if (options.xattrs) {
    const xattrs = readXattrs(path);
    if (xattrs) item.xattrs = xattrs;
  }
  if (type === 'directory') return { kind: 'item', item };
  const size = Number(s.size);
  item.size = size;
  const scanned: ScannedItem = { kind: 'item', item };
  if (s.nlink > 1n) scanned.inode = `${s.dev}:${s.ino}`;
  if (options.sparse && Number(s.blocks) * 512 < size) item.sparse = dataRegions(path, size);
  if (size <= SMALL_FILE && !item.sparse) scanned.content = readSmallFile(path, size, warnings, readSpace(size + 1));
  else scanned.before = { mtimeNs: item.mtimeNs!, size };
  return scanned;
}

/** The file read whole into `buf` (its size and one byte more, to see a file that grew). */
function readSmallFile(path: string, size: number, warnings: RunWarning[], buf: Buffer): Uint8Array {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    let got = 0;
    for (;;) {
      const bytesRead = readSync(fd, buf, got, buf.length - got, got);
      got += bytesRead;
      if (bytesRead === 0 || got >= size) break;
    }
    if (got !== size)
      warnings.push({ code: 'FILE_CHANGED', item: path.slice(1), message: `${path} changed size while it was read` });
    return buf.subarray(0, Math.min(got, size));
  } finally {
    closeSync(fd);
  }
}

/**
 * The data regions of a sparse file, found by reading it and treating all-zero 4 KiB blocks as holes, as GNU tar
 * does without SEEK_HOLE (which Node does not expose). Only for files that occupy fewer blocks than their size.
 */
function dataRegions(path: string, size: number): SparseExtent[] {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const extents: SparseExtent[] = [];
    const buf = Buffer.allocUnsafe(1 << 20);
    let pos = 0;
    let current: SparseExtent | undefined;
    while (pos < size) {
      const bytesRead = readSync(fd, buf, 0, Math.min(buf.length, size - pos), pos);
      if (bytesRead === 0) break;
      for (let off = 0; off < bytesRead; off += BLOCK) {
        const len = Math.min(BLOCK, bytesRead - off);
        if (buf.compare(ZERO, 0, len, off, off + len) === 0) current = undefined;
        else if (current) current.length += len;
        else {
          current = { offset: pos + off, length: len };
          extents.push(current);
        }
      }
      pos += bytesRead;
    }
    return extents;
  } finally {
    closeSync(fd);
  }
}

function readXattrs(path: string): Record<string, string> | undefined {
  let names: string[];
  try {
    names = listAttributesSync(path);
  } catch {
    return undefined;
  }
  if (names.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const name of names.sort()) out[name] = getAttributeSync(path, name).toString('base64');
  return out;
}

function unreadable(path: string, error: unknown): RunWarning {
  return { code: 'FILE_UNREADABLE', item: path.slice(1), message: `${path}: ${(error as Error).message}; left out` };
}

function itemType(s: BigIntStats): ItemType | undefined {
  if (s.isFile()) return 'file';
  if (s.isDirectory()) return 'directory';
  if (s.isSymbolicLink()) return 'symlink';
  return undefined;
}

function matcher(patterns: string[] | undefined): ((path: string) => boolean) | undefined {
  if (!patterns || patterns.length === 0) return undefined;
  const full = patterns.filter((p) => p.includes('/')).map((p) => picomatch(p.replace(/^\//, ''), { dot: true }));
  const base = patterns.filter((p) => !p.includes('/')).map((p) => picomatch(p, { dot: true }));
  return (path) => full.some((m) => m(path)) || base.some((m) => m(basename(path)));
}
