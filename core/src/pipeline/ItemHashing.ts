import { Worker } from 'node:worker_threads';
import { BLAKE3, createItemDigest, type ItemDigest } from '../format/itemHashes.js';

/** Bytes of one block: an item's data goes to the hashing thread a block at a time. */
const BLOCK = 1 << 20;
/** Blocks in all: how far the hashing thread may lag behind before the encoder waits for it. */
const BLOCKS = 8;

/** Messages to the hashing thread. */
export type ToHashWorker =
  | { op: 'data'; item: number; algorithm: string; block: ArrayBuffer; length: number }
  | { op: 'end' | 'drop'; item: number };
/** Messages from the hashing thread. */
type FromHashWorker = { op: 'free'; block: ArrayBuffer } | { op: 'digest'; item: number; hex: string };

/** The hash of one item's data, fed in order. */
export interface ItemHasher {
  /** Adds bytes (copied: the chunk is the caller's again on return). A returned promise must be awaited first. */
  update(chunk: Uint8Array): Promise<void> | undefined;
  /** The hex digest of everything added. */
  digest(): Promise<string>;
  /** Gives up an item whose data will not be finished (its digest is never asked for). */
  abandon(): void;
}

/**
 * Item hashes computed beside the encoder: the bytes of an item are copied into blocks of 1 MiB, and an item that
 * fills a block is hashed by a worker thread, block by block, while the encoder goes on reading and writing. Blocks
 * move to the thread and back (transferred, not copied). An item that ends within its first block is hashed on the
 * calling thread: a round trip would cost more. BLAKE3 (ADR 0014) is computed on the calling thread as the bytes
 * pass: at 0.12 s per GiB it costs less than copying the blocks and moving them to the thread and back.
 *
 * @remarks
 * SHA-256 was a quarter of the main thread's time on a 2 GiB VM export (`bench/xen.js`). Copying a MiB into a block
 * costs a sixteenth of hashing it; into shared memory (a `SharedArrayBuffer`) it cost half, which is why blocks move
 * instead. The thread starts with the first item larger than a block and is referenced only while it has work.
 */
export class ItemHashing {
  private worker: Worker | undefined;
  /** Blocks on this thread, not being filled. */
  private readonly free: Buffer[] = [];
  private allocated = 0;
  private readonly waiting: Array<{ resolve(): void; reject(error: Error): void }> = [];
  private readonly digests = new Map<number, { resolve(hex: string): void; reject(error: Error): void }>();
  private outstanding = 0;
  private nextItem = 0;
  private failure: Error | undefined;

  constructor(readonly algorithm: string) {}

  hasher(): ItemHasher {
    // BLAKE3 hashes faster than a block can be copied and handed to the thread and back.
    return this.algorithm === BLAKE3 ? new InlineHasher(this.algorithm) : new BlockHasher(this);
  }

  /** Stops the hashing thread; pending digests fail. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.fail(new Error('item hashing closed'));
    // Referenced while it stops: an unreferenced thread's exit may not keep the process alive until it is reported,
    // and the process would end with this await unsettled (exit code 13).
    worker?.ref();
    await worker?.terminate();
  }

  /** @internal A block to fill, or undefined while all of them are with the hashing thread. */
  takeBlock(): Buffer | undefined {
    const block = this.free.pop();
    if (block || this.allocated === BLOCKS) return block;
    this.allocated++;
    return Buffer.allocUnsafeSlow(BLOCK);
  }

  /** @internal Resolves once a block is free again. */
  blockFreed(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  /** @internal A block back for reuse. */
  giveBack(block: Buffer): void {
    this.free.push(block);
    this.waiting.shift()?.resolve();
  }

  /** @internal */
  newItem(): number {
    return this.nextItem++;
  }

  /** @internal Moves a filled block of `item` to the hashing thread. */
  send(item: number, block: Buffer, length: number): void {
    this.post({ op: 'data', item, algorithm: this.algorithm, block: block.buffer as ArrayBuffer, length }, [
      block.buffer as ArrayBuffer,
    ]);
  }

  /** @internal The digest of `item` once the hashing thread has had all its blocks. */
  end(item: number): Promise<string> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.digests.set(item, { resolve, reject });
      this.post({ op: 'end', item });
    });
  }

  /** @internal Forgets `item` in the hashing thread. */
  drop(item: number): void {
    this.worker?.postMessage({ op: 'drop', item } satisfies ToHashWorker);
  }

  private post(msg: ToHashWorker, transfer: ArrayBuffer[] = []): void {
    // Closed or failed: no thread is started again.
    if (this.failure) throw this.failure;
    const worker = (this.worker ??= this.start());
    // Each message is answered once: the thread is referenced while answers are due.
    if (this.outstanding++ === 0) worker.ref();
    worker.postMessage(msg, transfer);
  }

  private start(): Worker {
    const worker = new Worker(new URL('./hashWorker.js', import.meta.url));
    worker.on('message', (msg: FromHashWorker) => {
      if (--this.outstanding === 0) worker.unref();
      if (msg.op === 'free') this.giveBack(Buffer.from(msg.block));
      else {
        const digest = this.digests.get(msg.item);
        this.digests.delete(msg.item);
        digest?.resolve(msg.hex);
      }
    });
    worker.on('error', (error) => this.fail(error));
    worker.unref();
    return worker;
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const w of this.waiting.splice(0)) w.reject(error);
    for (const d of this.digests.values()) d.reject(error);
    this.digests.clear();
  }
}

/** One item's hash: its bytes gathered in a block; from the first full block on, hashed by the worker. */
class BlockHasher implements ItemHasher {
  private block: Buffer | undefined;
  private fill = 0;
  /** The item's number once its first block went to the hashing thread. */
  private item: number | undefined;

  constructor(private readonly hashing: ItemHashing) {}

  update(chunk: Uint8Array, from = 0): Promise<void> | undefined {
    let at = from;
    while (at < chunk.length) {
      if (this.block === undefined) {
        const block = this.hashing.takeBlock();
        if (block === undefined) {
          const resume = at;
          return this.hashing.blockFreed().then(() => this.update(chunk, resume));
        }
        this.block = block;
        this.fill = 0;
      }
      const n = Math.min(BLOCK - this.fill, chunk.length - at);
      this.block.set(chunk.subarray(at, at + n), this.fill);
      this.fill += n;
      at += n;
      if (this.fill === BLOCK) this.sendBlock();
    }
    return undefined;
  }

  async digest(): Promise<string> {
    if (this.item === undefined) {
      // Never left its first block: hashed here.
      const hash = createItemDigest(this.hashing.algorithm);
      if (this.block !== undefined) {
        hash.update(this.block.subarray(0, this.fill));
        this.hashing.giveBack(this.block);
        this.block = undefined;
      }
      return hash.digest();
    }
    if (this.block !== undefined && this.fill > 0) this.sendBlock();
    else if (this.block !== undefined) this.hashing.giveBack(this.block);
    this.block = undefined;
    return this.hashing.end(this.item);
  }

  abandon(): void {
    if (this.block !== undefined) this.hashing.giveBack(this.block);
    this.block = undefined;
    if (this.item !== undefined) this.hashing.drop(this.item);
  }

  private sendBlock(): void {
    this.item ??= this.hashing.newItem();
    this.hashing.send(this.item, this.block!, this.fill);
    this.block = undefined;
    this.fill = 0;
  }
}

/** One item's hash computed as its bytes pass, on the calling thread. */
class InlineHasher implements ItemHasher {
  private readonly hash: ItemDigest;

  constructor(algorithm: string) {
    this.hash = createItemDigest(algorithm);
  }

  update(chunk: Uint8Array): undefined {
    this.hash.update(chunk);
    return undefined;
  }

  digest(): Promise<string> {
    return Promise.resolve(this.hash.digest());
  }

  abandon(): void {}
}
