import { posix } from 'node:path';
import type { ChunkPipe, EncodedData, RunWarning, SourceItem, SparseExtent, Transform } from '@tapir/sdk';
import type { ArchiveWriter, MemberFields } from '../format/ArchiveWriter.js';
import { TypeFlag } from '../format/pax.js';
import type { ManifestItem, MemberLocation } from '../format/saveSetFormat.js';
import { sparseMapBlock } from '../format/sparse.js';
import { ChunkPool } from './ChunkPool.js';
import { type ItemHasher, ItemHashing } from './ItemHashing.js';

/** Options of a {@link SaveSetEncoder}. */
export interface SaveSetEncoderOptions {
  saveSetId: string;
  /** Node crypto hash name for item hashes. */
  hash: string;
  /** Transforms in encode order. */
  transforms: Transform[];
  segmentSize: number;
  /** The id of the save set's item encoder: items a source encoded with it are stored as they come. */
  itemEncoder?: string;
  warn(warning: RunWarning): void;
}

/**
 * Turns source items into archive members: the member layout of save-set format v1.
 *
 * @remarks
 * Untransformed data of known size goes into one member named by the item path, so GNU tar extracts the real file
 * (sparse files as GNU sparse 1.0). Transformed data, and data of unknown length, is cut into members of at most
 * `segmentSize` bytes, buffered in memory one segment at a time.
 */
export class SaveSetEncoder {
  /** Plaintext bytes read from sources. */
  bytes = 0;
  private readonly segments = new SegmentBuffers();
  /** Buffers sources may read into; given back once a chunk is hashed and encoded, or written. */
  private readonly chunks = new ChunkPool();
  private readonly hashing: ItemHashing;
  /** The file-name extension transformed data members get (`.zst`), empty without transforms. */
  private readonly extension: string;

  /**
   * Gives a source's chunk back once the first transform asked for the next one, if every transform is done with its
   * input by then. Without transforms, chunks go on to writeSegments, which releases them.
   */
  private readonly releaseInput: ((chunk: Uint8Array) => void) | undefined;

  constructor(
    private readonly writer: ArchiveWriter,
    private readonly options: SaveSetEncoderOptions,
  ) {
    this.hashing = new ItemHashing(options.hash);
    const { transforms } = options;
    this.extension = transforms.map((t) => t.descriptor.extension ?? '').join('');
    if (transforms.length > 0 && transforms.every((t) => t.releasesInput))
      this.releaseInput = (chunk) => this.chunks.give(chunk);
  }

  /** Stops the thread that hashes large items. */
  close(): Promise<void> {
    return this.hashing.close();
  }

  /** Writes one item's members and returns its manifest line. */
  async encode(item: SourceItem, signal: AbortSignal): Promise<ManifestItem> {
    const { open: _open, encoded: _encoded, ...record } = item as SourceItem & ManifestItem;
    record.dataSaveSet = this.options.saveSetId;
    const base = this.baseFields(item);
    switch (item.type) {
      case 'directory':
        await this.writer.writeMember({ ...base, name: `${item.path}/`, type: TypeFlag.DIRECTORY, size: 0 }, []);
        delete record.dataSaveSet;
        return record;
      case 'symlink':
      case 'hardlink':
        await this.writer.writeMember(
          {
            ...base,
            type: item.type === 'symlink' ? TypeFlag.SYMLINK : TypeFlag.HARDLINK,
            size: 0,
            // A hard link points at the member GNU tar extracts, which carries the transforms' extension.
            linkname: item.type === 'hardlink' ? `${item.linkTarget ?? ''}${this.extension}` : (item.linkTarget ?? ''),
          },
          [],
        );
        delete record.dataSaveSet;
        return record;
      default:
        return this.encodeData(item, record, base, signal);
    }
  }

  private baseFields(item: SourceItem): MemberFields {
    const pax: Record<string, string> = {};
    if (item.xattrs)
      for (const [name, value] of Object.entries(item.xattrs)) {
        const text = Buffer.from(value, 'base64').toString('utf8');
        if (Buffer.from(text, 'utf8').toString('base64') === value) pax[`SCHILY.xattr.${name}`] = text;
      }
    return {
      name: item.path,
      type: TypeFlag.FILE,
      size: 0,
      mode: item.mode ?? 0o644,
      uid: item.uid ?? 0,
      gid: item.gid ?? 0,
      uname: item.uname ?? '',
      gname: item.gname ?? '',
      mtime: item.mtimeNs ? secondsOf(item.mtimeNs) : Math.floor(Date.now() / 1000),
      pax,
    };
  }

  private async encodeData(
    item: SourceItem,
    record: ManifestItem,
    base: MemberFields,
    signal: AbortSignal,
  ): Promise<ManifestItem> {
    const encoded = item.encoded;
    if (encoded !== undefined && encoded.encoder === this.options.itemEncoder && !item.sparse) {
      return this.storeEncoded(item, record, base, encoded);
    }
    const hash = this.hashing.hasher();
    const data = item.open ? item.open(signal, this.chunks) : emptyStream();
    const sparse = item.sparse;
    const dataSize = sparse ? sparse.reduce((n, e) => n + e.length, 0) : item.size;
    const digest = { hash, bytes: 0, changed: false };
    let members: MemberLocation[];
    try {
      if (this.options.transforms.length === 0 && dataSize !== undefined && item.type === 'file') {
        members = [await this.writeExact(item, base, data, dataSize, sparse, digest)];
      } else {
        const hashed = tap(
          data,
          (chunk) => {
            digest.bytes += chunk.length;
            return hash.update(chunk);
          },
          this.releaseInput,
        );
        members = await this.writeSegments(item, base, this.encodePipe()(hashed));
      }
    } catch (error) {
      hash.abandon();
      throw error;
    }
    this.bytes += digest.bytes;
    record.hash = `${this.options.hash}:${await hash.digest()}`;
    record.dataSize = digest.bytes;
    record.members = members;
    if (digest.changed) record.changedWhileRead = true;
    return record;
  }

  /**
   * Data the source hashed and encoded with the save set's item encoder: the same members as {@link encodeData}
   * makes of that data, without hashing or transforming it here.
   */
  private async storeEncoded(
    item: SourceItem,
    record: ManifestItem,
    base: MemberFields,
    encoded: EncodedData,
  ): Promise<ManifestItem> {
    const data = toBuffer(encoded.data);
    // One member, as writeExact makes of untransformed data of the announced size, and writeSegments of data that
    // fits a segment (the extension is empty without transforms).
    const whole = this.options.transforms.length === 0 && item.type === 'file' && item.size === encoded.size;
    if (whole || data.length < this.options.segmentSize) {
      base.name = `${item.path}${this.extension}`;
      base.size = data.length;
      record.members = [{ offset: await this.writer.writeMember(base, [data]), size: data.length }];
    } else {
      record.members = await this.writeSegments(item, base, [data]);
    }
    this.bytes += encoded.size;
    record.hash = `${this.options.hash}:${encoded.hash}`;
    record.dataSize = encoded.size;
    return record;
  }

  /**
   * One member of known size. A source that yields more or fewer bytes than it announced (the file changed while
   * it was read) is cut or zero-padded, reported, and the hash covers exactly what was stored.
   */
  private async writeExact(
    item: SourceItem,
    base: MemberFields,
    data: AsyncIterable<Uint8Array>,
    dataSize: number,
    sparse: SparseExtent[] | undefined,
    digest: { hash: ItemHasher; bytes: number; changed: boolean },
  ): Promise<MemberLocation> {
    let fields: MemberFields = { ...base, size: dataSize };
    let prefix: Buffer | undefined;
    if (sparse) {
      prefix = sparseMapBlock(sparse, item.size ?? dataSize);
      const dir = posix.dirname(item.path);
      fields = {
        ...base,
        name: `${dir === '.' ? '' : `${dir}/`}GNUSparseFile.0/${posix.basename(item.path)}`,
        size: prefix.length + dataSize,
        pax: {
          ...base.pax,
          'GNU.sparse.major': '1',
          'GNU.sparse.minor': '0',
          'GNU.sparse.name': item.path,
          'GNU.sparse.realsize': String(item.size ?? dataSize),
        },
      };
    }
    const offset = await this.writer.writeHeader(fields);
    if (prefix) await this.writer.writeData(prefix);
    const store = async (buf: Buffer) => {
      const hashing = digest.hash.update(buf);
      if (hashing) await hashing;
      digest.bytes += buf.length;
      await this.writer.writeData(buf, () => this.chunks.give(buf));
    };
    for await (const chunk of data) {
      const buf = toBuffer(chunk);
      const take = Math.min(buf.length, dataSize - digest.bytes);
      if (take < buf.length) digest.changed = true;
      if (take > 0) await store(take === buf.length ? buf : buf.subarray(0, take));
    }
    if (digest.bytes < dataSize) {
      digest.changed = true;
      while (digest.bytes < dataSize) await store(Buffer.alloc(Math.min(dataSize - digest.bytes, 1 << 20)));
    }
    if (digest.changed) {
      this.options.warn({
        code: 'ITEM_SIZE_CHANGED',
        item: item.path,
        message: `${item.path}: size changed while it was read; stored ${dataSize} bytes`,
      });
    }
    await this.writer.endData(fields.size);
    return { offset, size: fields.size };
  }

  /**
   * Members of at most `segmentSize` bytes each, buffered one at a time.
   *
   * @remarks
   * Up to {@link BY_REFERENCE} bytes, a member holds the chunks as they came. Past that, they are copied into a
   * segment buffer that is used again once the destination has written it: chunks kept until a whole segment is
   * written would outlive V8's young generation, and freeing gigabytes of them took a full garbage collection every
   * few MiB. Chunks from {@link chunks} go back there once copied, or once the member holding them is written.
   */
  private async writeSegments(
    item: SourceItem,
    base: MemberFields,
    encoded: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  ): Promise<MemberLocation[]> {
    const members: MemberLocation[] = [];
    const ext = this.extension;
    const segmentSize = this.options.segmentSize;
    const release = (chunk: Uint8Array) => this.chunks.give(chunk);
    let parts: Buffer[] = [];
    // The chunks `parts` are pieces of: their memory is used again once written, or copied into a segment.
    let held: Uint8Array[] = [];
    let segment: Buffer | undefined;
    let size = 0;
    const flush = async (final: boolean) => {
      const single = final && members.length === 0;
      const name = single ? `${item.path}${ext}` : `${item.path}.${String(members.length).padStart(6, '0')}${ext}`;
      const fields = { ...base, name, type: TypeFlag.FILE, size };
      let offset: number;
      if (segment) {
        const full = segment;
        segment = undefined;
        offset = await this.writer.writeMember(fields, [full.subarray(0, size)], () => this.segments.give(full));
      } else {
        const written = held;
        held = [];
        offset = await this.writer.writeMember(fields, parts, () => written.forEach(release));
      }
      members.push({ offset, size });
      parts = [];
      size = 0;
    };
    /** Adds a piece of a chunk; true when it is kept by reference. */
    const add = (buf: Buffer): boolean => {
      if (!segment && size + buf.length > BY_REFERENCE) {
        segment = this.segments.take(segmentSize);
        let at = 0;
        for (const part of parts) at += part.copy(segment, at);
        parts = [];
        held.forEach(release);
        held = [];
      }
      if (segment) buf.copy(segment, size);
      else parts.push(buf);
      size += buf.length;
      return !segment;
    };
    for await (const chunk of encoded) {
      let buf = toBuffer(chunk);
      // A chunk is used again only when every piece of it kept by reference is in one member: released with that
      // member's write (or when parts are copied into a segment), else at once, since it was copied.
      let referenced = false;
      let releasable = true;
      while (size + buf.length >= segmentSize) {
        const take = segmentSize - size;
        const kept = add(buf.subarray(0, take));
        buf = buf.subarray(take);
        if (kept) {
          referenced = true;
          // The rest goes into the next member: left to the garbage collector rather than tracked across two.
          if (buf.length > 0) releasable = false;
          else held.push(chunk);
        }
        await flush(false);
      }
      if (buf.length > 0 && add(buf)) {
        referenced = true;
        if (releasable) held.push(chunk);
      }
      if (!referenced && releasable) release(chunk);
    }
    if (size > 0 || members.length === 0) await flush(true);
    return members;
  }

  /** The transforms chained; the last one may take its output buffers from {@link chunks}. */
  private encodePipe(): ChunkPipe {
    const last = this.options.transforms.length - 1;
    const pipes = this.options.transforms.map((t, i) => (i === last ? t.encode(this.chunks) : t.encode()));
    return (input) => pipes.reduce((acc, pipe) => pipe(acc), input);
  }
}

/** Bytes of a member's data kept as the chunks themselves before they are copied into a segment buffer. */
const BY_REFERENCE = 256 << 10;

/**
 * Segment buffers of one save set (so of one size) for reuse: one being filled and one being written is the steady
 * state, so two are kept free at most.
 */
class SegmentBuffers {
  private readonly free: Buffer[] = [];

  take(size: number): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(size);
  }

  give(buffer: Buffer): void {
    if (this.free.length < 2) this.free.push(buffer);
  }
}

async function* emptyStream(): AsyncGenerator<Uint8Array> {}

/** `source` with `fn` called on each chunk before it goes on, and `release` once the consumer asked for the next. */
async function* tap(
  source: AsyncIterable<Uint8Array>,
  fn: (chunk: Uint8Array) => Promise<void> | undefined,
  release?: (chunk: Uint8Array) => void,
): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    const pending = fn(chunk);
    if (pending) await pending;
    yield chunk;
    release?.(chunk);
  }
}

/**
 * Whole seconds of a time in nanoseconds (a decimal string), truncated toward zero as `BigInt` division truncates;
 * without `BigInt` for the usual case, a non-negative time of more than nine digits.
 */
export function secondsOf(ns: string): number {
  return ns.length > 9 && /^\d+$/.test(ns) ? Number(ns.slice(0, -9)) : Number(BigInt(ns) / 1_000_000_000n);
}

function toBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}
