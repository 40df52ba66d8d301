import { type ChunkPipe, isTapirError, TapirError } from '@tapir/sdk';
import { ArchiveReader, type Member } from '../format/ArchiveReader.js';
import { TypeFlag } from '../format/pax.js';
import { createItemDigest } from '../format/itemHashes.js';
import {
  HEADER_MEMBER,
  MANIFEST_PREFIX,
  type ManifestEnd,
  type ManifestItem,
  type SaveSetHeader,
} from '../format/saveSetFormat.js';
import { parseSparseMap } from '../format/sparse.js';

/** A damaged or missing item found while reading a save set. */
export interface DamagedItem {
  path: string;
  reason: string;
}

/** An item the receiver could not take, with the error's code. */
export interface FailedItem {
  path: string;
  code: string;
  reason: string;
}

/** What {@link decodeSaveSet} needs. */
export interface DecodeOptions {
  /** The items whose data to deliver, by path, with what the catalog expects of them. */
  wanted: Map<string, ManifestItem>;
  /** Builds the decoding pipe for a save set from its header (transforms in reverse). */
  decoder(header: SaveSetHeader): ChunkPipe;
  /**
   * Receives one item's verified plaintext. The iterable throws TAPIR_E_ITEM_DAMAGED at its end when the data does
   * not match its hash; the receiver must then discard what it wrote.
   */
  deliver(item: ManifestItem, data: AsyncIterable<Buffer>): Promise<void>;
  /** Called with the save-set header once it is read, before any data. */
  onHeader?(header: SaveSetHeader): void;
  /** When true, reads the manifest members at the end and returns them. */
  readManifest?: boolean;
}

/** What reading a save set found. */
export interface DecodeResult {
  header: SaveSetHeader;
  /** Items delivered intact. */
  delivered: number;
  damaged: DamagedItem[];
  /** Items whose data was intact but the receiver failed to take (a restore target's error). */
  failed: FailedItem[];
  /** The archive's own manifest (when asked for and present). */
  manifest?: ManifestItem[];
  /** The manifest's end record; absent means the archive is incomplete. */
  end?: ManifestEnd['$end'];
}

/**
 * Reads a save-set archive from its first byte: checks the header, delivers wanted items through the transforms'
 * decoders with their hashes checked, and collects damage instead of stopping at it.
 */
export async function decodeSaveSet(source: AsyncIterable<Uint8Array>, options: DecodeOptions): Promise<DecodeResult> {
  const reader = new ArchiveReader(source);
  const wanted = new Map(options.wanted);
  const damaged: DamagedItem[] = [];
  const failed: FailedItem[] = [];
  let delivered = 0;
  const manifestLines: string[] = [];
  let end: ManifestEnd['$end'] | undefined;
  let pushback: Member | null = null;
  const nextMember = async () => {
    if (pushback) {
      const m = pushback;
      pushback = null;
      return m;
    }
    return reader.next();
  };
  // Item data is found by the offsets the catalog (or the manifest) recorded for its members.
  const byOffset = new Map<number, ManifestItem>();
  for (const item of wanted.values()) {
    const first = item.members?.[0];
    if (first) byOffset.set(first.offset, item);
  }
  try {
    const first = await reader.next();
    if (!first || first.header.name !== HEADER_MEMBER) {
      throw new TapirError('TAPIR_E_FORMAT', 'not a tapir save set: the first member is not a save-set header');
    }
    const header = JSON.parse(await readAll(first.data())) as SaveSetHeader;
    if (header.format !== 'tapir-saveset')
      throw new TapirError('TAPIR_E_FORMAT', 'not a tapir save set: unknown header format');
    if (header.version !== 1) {
      throw new TapirError(
        'TAPIR_E_FORMAT',
        `save-set format version ${header.version} is newer than this tapir reads (1)`,
      );
    }
    options.onHeader?.(header);
    const decode = options.decoder(header);
    const hashName = header.hash;

    for (let member = await nextMember(); member; member = await nextMember()) {
      if (member.header.name.startsWith(MANIFEST_PREFIX)) {
        const lines = (await readAll(member.data())).split('\n').filter(Boolean);
        const last = lines[lines.length - 1];
        if (last?.startsWith('{"$end"')) {
          end = (JSON.parse(last) as ManifestEnd).$end;
          lines.pop();
        }
        if (options.readManifest) manifestLines.push(...lines);
        continue;
      }
      if (member.header.type !== TypeFlag.FILE) continue;
      const item = byOffset.get(member.offset);
      if (!item) continue;
      const path = item.path;
      wanted.delete(path);
      const locations = item.members ?? [];
      const sparse = member.header.pax['GNU.sparse.major'] === '1';
      let segment = 0;
      const raw = segmentData(member, locations.length, sparse, async () => {
        segment++;
        const m = await reader.next();
        if (!m)
          throw new TapirError('TAPIR_E_ITEM_DAMAGED', `${path}: the archive ends inside the item`, { item: path });
        if (m.offset !== locations[segment]?.offset) {
          pushback = m;
          throw new TapirError('TAPIR_E_ITEM_DAMAGED', `${path}: data segment ${segment} is missing`, { item: path });
        }
        return m;
      });
      try {
        await options.deliver(item, verified(decode(raw), item, hashName));
        delivered++;
      } catch (error) {
        // Damage is the archive's fault; anything else is the receiver's, and is reported as a failure.
        if (isTapirError(error, 'TAPIR_E_ITEM_DAMAGED'))
          damaged.push({ path, reason: error.message.replace(`${path}: `, '') });
        else
          failed.push({
            path,
            code: isTapirError(error) ? error.code : 'TAPIR_E_PLUGIN_FAILED',
            reason: (error as Error).message,
          });
      } finally {
        // A decoder that failed may still have a read of this item in flight: wait for it before reading on.
        await raw.return(undefined);
      }
    }
    for (const path of wanted.keys()) damaged.push({ path, reason: 'not found in the archive' });
    const manifest = options.readManifest ? manifestLines.map((l) => JSON.parse(l) as ManifestItem) : undefined;
    return { header, delivered, damaged, failed, ...(manifest ? { manifest } : {}), ...(end ? { end } : {}) };
  } finally {
    await reader.close();
  }
}

async function* segmentData(
  first: Member,
  count: number,
  sparse: boolean,
  nextSegment: () => Promise<Member>,
): AsyncGenerator<Buffer> {
  let member = first;
  for (let i = 0; i < count; i++) {
    if (i > 0) member = await nextSegment();
    if (sparse) {
      yield* withoutSparseMap(member.data());
    } else {
      yield* member.data();
    }
  }
}

/** Strips the GNU sparse 1.0 map (whole 512-byte blocks) from the start of a member's data. */
async function* withoutSparseMap(data: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let head = Buffer.alloc(0);
  let mapBytes = -1;
  for await (const chunk of data) {
    if (mapBytes >= 0) {
      yield chunk;
      continue;
    }
    head = Buffer.concat([head, chunk]);
    try {
      mapBytes = parseSparseMap(head).mapBytes;
    } catch {
      continue; // the map spans more blocks than we have so far
    }
    if (head.length >= mapBytes) {
      if (head.length > mapBytes) yield head.subarray(mapBytes);
    } else {
      mapBytes = -1;
    }
  }
  if (mapBytes < 0) throw new TapirError('TAPIR_E_FORMAT', 'sparse member without a complete map');
}

async function* verified(
  data: AsyncIterable<Uint8Array>,
  item: ManifestItem,
  hashName: string,
): AsyncGenerator<Buffer> {
  const hash = createItemDigest(hashName);
  let bytes = 0;
  try {
    for await (const chunk of data) {
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      hash.update(buf);
      bytes += buf.length;
      yield buf;
    }
  } catch (error) {
    if (error instanceof TapirError && error.code === 'TAPIR_E_ITEM_DAMAGED') throw error;
    throw new TapirError(
      'TAPIR_E_ITEM_DAMAGED',
      `${item.path}: cannot decode its data (${(error as Error).message})`,
      { item: item.path },
      { cause: error },
    );
  }
  const actual = `${hashName}:${hash.digest()}`;
  if (item.dataSize !== undefined && bytes !== item.dataSize) {
    throw new TapirError('TAPIR_E_ITEM_DAMAGED', `${item.path}: ${bytes} bytes read, ${item.dataSize} expected`, {
      item: item.path,
    });
  }
  if (item.hash && actual !== item.hash) {
    throw new TapirError('TAPIR_E_ITEM_DAMAGED', `${item.path}: content does not match its hash`, { item: item.path });
  }
}

async function readAll(data: AsyncIterable<Buffer>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of data) parts.push(chunk);
  return Buffer.concat(parts).toString('utf8');
}
