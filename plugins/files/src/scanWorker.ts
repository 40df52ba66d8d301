/**
 * The scan thread of the `files` source: runs {@link scan} and posts its entries in batches, with the content of
 * small files in one buffer per batch, transferred. It posts a batch only while it holds a credit; the source gives
 * one back per batch it has taken, which bounds the memory ahead of the encoder.
 *
 * When tapir offers an item encoder (full save sets), small files are hashed and encoded here, where their content
 * already is: the encoder's thread then only frames their members. For 20,000 files of 10 KB that moves ~0.5 s of
 * zstd and BLAKE3 off the thread every item passes through (ADR 0015).
 */
import { parentPort } from 'node:worker_threads';
import { type ItemEncoder, type ItemEncoderSpec, loadItemEncoder } from '@tapir/sdk';
import { scan, type ScanEntry, type ScanOptions, SMALL_FILE } from './scan.js';

/** Messages from the scan thread. */
export type FromScan = { op: 'entries'; entries: ScanEntry[] } | { op: 'done' } | { op: 'failed'; message: string };
/**
 * Messages to the scan thread: what to scan (first and once: the thread may have been started before the run knew),
 * then one credit per batch taken.
 */
export type ToScan = { op: 'start'; work: ScanWork } | { op: 'credit' };

export interface ScanWork {
  options: ScanOptions;
  /** Batches that may be posted before the first credit comes back. */
  credits: number;
  /** The save set's item encoder, when tapir offers one. */
  itemEncoder?: ItemEncoderSpec;
}

/** A batch is posted at this many entries or about this many bytes of content, whichever comes first. */
const BATCH_ENTRIES = 128;
const BATCH_BYTES = 4 << 20;

let credits = 0;
let creditCame: (() => void) | undefined;

parentPort!.on('message', (msg: ToScan) => {
  if (msg.op === 'start') {
    credits = msg.work.credits;
    run(msg.work).catch((error: unknown) =>
      parentPort!.postMessage({ op: 'failed', message: (error as Error).message ?? String(error) } satisfies FromScan),
    );
    return;
  }
  credits++;
  creditCame?.();
});

/** Room kept free in a batch's buffer for one more small file, read or encoded (zstd's bound adds < 1 KiB). */
const ROOM = SMALL_FILE + (64 << 10);

/**
 * The data of one batch, in one buffer that crosses whole: one buffer per batch, not one per file (20,000 buffers
 * of their own, two per file on each thread, were that many objects for the garbage collectors to find). Small files
 * are read straight into it by the scan, and encoded data is copied in once, over the content it was made from.
 *
 * @remarks
 * Each buffer is sized from what the last batch held, up to {@link BATCH_BYTES} and room for one more file: V8
 * counts the whole of a buffer against the heap's external memory, used or not.
 */
class BatchArena {
  private arena = Buffer.allocUnsafeSlow(BATCH_BYTES + ROOM);
  private used = 0;
  /** Where files are read while their content is not what crosses (it is encoded into other bytes). */
  private readonly readBuffer = Buffer.allocUnsafeSlow(SMALL_FILE + 1);
  /**
   * Whether files are read straight into the batch's buffer: when their content is what crosses. Content that is
   * encoded into other bytes is read into {@link readBuffer}, whose pages are in memory already: pages of a new
   * buffer are zeroed by the kernel as they are first written, and only the encoded bytes need to be in the batch.
   */
  direct: boolean;

  constructor(encoding: boolean) {
    this.direct = !encoding;
  }

  /** Whether the batch should go: its buffer has no room left for one more file. */
  get full(): boolean {
    return this.arena.length - this.used < ROOM;
  }

  /** Where the scan reads the next small file: after the data kept so far, or into the read buffer. */
  readonly space = (bytes: number): Buffer =>
    this.direct ? this.arena.subarray(this.used, this.used + bytes) : this.readBuffer.subarray(0, bytes);

  /** Keeps `data`, which is either what {@link space} gave or data of another buffer, copied in; returns its view. */
  keep(data: Uint8Array): Buffer {
    const at = this.used;
    if (data.buffer !== this.arena.buffer || data.byteOffset !== this.arena.byteOffset + at) this.arena.set(data, at);
    this.used += data.byteLength;
    return this.arena.subarray(at, this.used);
  }

  /** The buffer to transfer, which the entries' data are views of; a new one is used from here on. */
  take(): ArrayBuffer | undefined {
    if (this.used === 0) return undefined;
    // Not zero-filled (`new Uint8Array` is): only what was written is read. Its own memory, to be transferred.
    const taken = this.arena.buffer;
    const next = Math.min(BATCH_BYTES, Math.max(this.used + (this.used >> 2), 256 << 10));
    this.arena = Buffer.allocUnsafeSlow(next + ROOM);
    this.used = 0;
    return taken;
  }
}

async function run({ options, itemEncoder }: ScanWork): Promise<void> {
  const encode: ItemEncoder | undefined = itemEncoder ? await loadItemEncoder(itemEncoder) : undefined;
  let entries: ScanEntry[] = [];
  const data = new BatchArena(encode !== undefined);
  const post = async (): Promise<void> => {
    while (credits === 0) await new Promise<void>((resolve) => (creditCame = resolve));
    creditCame = undefined;
    credits--;
    const arena = data.take();
    parentPort!.postMessage({ op: 'entries', entries } satisfies FromScan, arena ? [arena] : []);
    entries = [];
  };
  for (const entry of scan(options, data.space)) {
    entries.push(entry);
    const content = entry.kind === 'item' ? entry.content : undefined;
    if (entry.kind === 'item' && content !== undefined) {
      // A file that changed size while it was read goes as read: the encoder's thread cuts or pads it to its size.
      if (encode && content.byteLength === entry.item.size) {
        const encoded = encode(content);
        entry.encoded = encoded;
        delete entry.content;
        // An encoder without transforms gives the content itself: from then on, files are read into the batch.
        if (encoded.data === content) data.direct = true;
        encoded.data = data.keep(encoded.data);
      } else {
        entry.content = data.keep(content);
      }
    }
    if (entries.length >= BATCH_ENTRIES || data.full || entry.kind === 'error') await post();
  }
  if (entries.length > 0) await post();
  parentPort!.postMessage({ op: 'done' } satisfies FromScan);
}
