/**
 * Items: the unit a source produces and a restore target consumes.
 *
 * @packageDocumentation
 */
import type { EncodedData } from './encoding.js';

/** What kind of object an item is. `stream` is data of unknown length with no file-system meaning (a VM export, a dump). */
export type ItemType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'stream';

/** One data region of a sparse file: `length` bytes at `offset` of the logical file. */
export interface SparseExtent {
  offset: number;
  length: number;
}

/**
 * Everything tapir records about an item except its data.
 *
 * @remarks
 * Paths are POSIX, relative (no leading `/`), with no `.` or `..` segments; a source maps its objects onto such
 * paths. Times are nanoseconds since the epoch as decimal strings so that no precision is lost.
 */
export interface ItemMeta {
  /** Relative POSIX path inside the save set. */
  path: string;
  type: ItemType;
  /** Logical size in bytes (the apparent size for sparse files); undefined for a stream of unknown length. */
  size?: number;
  /** Permission bits and file type bits as `st_mode`. */
  mode?: number;
  uid?: number;
  gid?: number;
  uname?: string;
  gname?: string;
  /** Modification time, nanoseconds since the epoch, decimal. */
  mtimeNs?: string;
  /** Access time, nanoseconds since the epoch, decimal. */
  atimeNs?: string;
  /** Target of a symlink, or the path (inside the save set) a hard link points at. */
  linkTarget?: string;
  /** Extended attributes, name → base64 value. */
  xattrs?: Record<string, string>;
  /** For a sparse file: the data regions; the bytes of {@link SourceItem.open} are these regions concatenated. */
  sparse?: SparseExtent[];
  /**
   * A token that changes whenever the item's content or metadata changes (for files: inode, size, mtime, ctime).
   * When it equals the token recorded in the parent save set, an incremental run stores a reference instead of data.
   */
  changeToken?: string;
}

/**
 * Buffers a source may read chunks into instead of allocating its own (since API 1.1; see {@link SourceItem.open}).
 *
 * @remarks
 * A buffer taken here and yielded by `open`, as itself or as one view of it (a short read), is tapir's from then on:
 * tapir uses its memory again once it has encoded or written the chunk, and `take` hands it out again. A buffer
 * taken and not yielded is simply dropped. Allocating a new MiB for every chunk made V8 collect garbage every ~30
 * MiB of a large file.
 */
export interface ChunkBuffers {
  /** A buffer of exactly `size` bytes, with undefined content. */
  take(size: number): Buffer;
}

/** An item as a source yields it: metadata, and a way to read its data when it has any. */
export interface SourceItem extends ItemMeta {
  /**
   * Opens the item's data. Called at most once, only when the data is needed (never for unchanged items of an
   * incremental run). The iterable must stop early, releasing its resources, when the consumer stops.
   * Each chunk must be a buffer of its own: tapir may still hold it, until it is written, after asking for the next.
   * `buffers`, when tapir gives it, is where the source may take those buffers from.
   */
  open?(signal: AbortSignal, buffers?: ChunkBuffers): AsyncIterable<Uint8Array>;
  /**
   * The whole data, already hashed and encoded by the save set's item encoder (`ItemsPlan.itemEncoder`) on the
   * source's own thread. tapir stores it instead of calling `open`, which must still work: tapir calls it when the
   * encoding is not the save set's own.
   */
  encoded?: EncodedData;
}

/** An item as the catalog and manifest know it after a run. */
export interface StoredItem extends ItemMeta {
  /** Hash of the plaintext data (`algorithm:hex`), for items with data. */
  hash?: string;
  /** Bytes of plaintext data stored (the concatenated sparse regions for a sparse file). */
  dataSize?: number;
  /** The save set whose archive holds this item's data: this one, or an ancestor in an incremental chain. */
  dataSaveSet?: string;
  /** True when the source reported that the item changed while it was read. */
  changedWhileRead?: boolean;
}
