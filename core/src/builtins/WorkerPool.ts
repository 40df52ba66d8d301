import type { ChunkBuffers } from '@tapir/sdk';
import { Worker } from 'node:worker_threads';

/** Messages to a pool worker: a slot's memory (once, and again when it grows), or a job in a slot. */
export type ToPoolWorker =
  | { op: 'slot'; slot: number; input: SharedArrayBuffer; output: SharedArrayBuffer }
  | { op: 'run'; id: number; slot: number; length: number };
/** A pool worker's answer: the bytes it wrote at the start of the slot's output. */
export interface FromPoolWorker {
  id: number;
  length: number;
}

interface Slot {
  worker: number;
  /** Index among its worker's slots. */
  index: number;
  input: Uint8Array;
  output: Uint8Array;
}

interface Job {
  slot: Slot;
  into: ChunkBuffers | undefined;
  resolve(data: Buffer): void;
  reject(error: Error): void;
}

/**
 * A fixed pool of worker threads running one script, which turns a chunk into bytes (a zstd frame), through shared
 * memory.
 *
 * @remarks
 * Each worker has `slotsPerWorker` slots: an input and an output area, each a SharedArrayBuffer it was given once. A
 * chunk is copied into a free slot's input, the worker writes its answer into that slot's output, and the answer is
 * copied out, into a buffer from `into` when given (the save set's chunk pool, ADR 0016). Only small messages cross
 * between threads, and the workers allocate nothing per chunk. Moving the chunks there and back instead (transfers)
 * took ~55 MiB more peak memory for the same time.
 *
 * Workers are referenced only while they have work: an idle pool never keeps the process alive, a busy one does.
 */
export class WorkerPool {
  private readonly workers: Worker[] = [];
  private readonly free: Slot[] = [];
  private readonly waiting: Array<() => void> = [];
  private readonly jobs = new Map<number, Job>();
  private nextId = 0;
  private failure: Error | undefined;

  /**
   * @param outputBytes - the output area a slot needs for an input of n bytes (zstd's compress bound)
   */
  constructor(
    script: URL,
    size: number,
    workerData: unknown,
    slotsPerWorker: number,
    private readonly outputBytes: (inputBytes: number) => number,
    inputBytes = 1 << 20,
  ) {
    for (let w = 0; w < size; w++) {
      const worker = new Worker(script, { workerData });
      worker.on('message', (msg: FromPoolWorker) => this.answered(msg));
      worker.on('error', (error) => this.failAll(error));
      worker.unref();
      this.workers.push(worker);
      for (let index = 0; index < slotsPerWorker; index++) {
        const slot: Slot = { worker: w, index, input: new Uint8Array(0), output: new Uint8Array(0) };
        this.grow(slot, inputBytes);
        this.free.push(slot);
      }
    }
  }

  /**
   * The worker's answer for `data`, which is copied and may be used again as soon as this returns. The answer is in a
   * buffer taken from `into` when given.
   */
  async run(data: Uint8Array, into?: ChunkBuffers): Promise<Buffer> {
    if (this.failure) throw this.failure;
    let slot = this.free.pop();
    // Every slot busy: copied here, so that the caller's memory is free all the same.
    if (slot === undefined) data = Buffer.from(data);
    while (slot === undefined) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
      if (this.failure) throw this.failure;
      slot = this.free.pop();
    }
    if (slot.input.byteLength < data.byteLength) this.grow(slot, data.byteLength);
    slot.input.set(data);
    const id = this.nextId++;
    if (this.jobs.size === 0) for (const w of this.workers) w.ref();
    const answer = new Promise<Buffer>((resolve, reject) => this.jobs.set(id, { slot, into, resolve, reject }));
    this.workers[slot.worker]!.postMessage({
      op: 'run',
      id,
      slot: slot.index,
      length: data.byteLength,
    } satisfies ToPoolWorker);
    return answer;
  }

  async close(): Promise<void> {
    // Referenced while they stop: see ItemHashing.close.
    for (const w of this.workers) w.ref();
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private answered(msg: FromPoolWorker): void {
    const job = this.jobs.get(msg.id);
    if (job === undefined) return;
    this.jobs.delete(msg.id);
    if (this.jobs.size === 0) for (const w of this.workers) w.unref();
    const out = job.into ? job.into.take(msg.length) : Buffer.allocUnsafe(msg.length);
    out.set(job.slot.output.subarray(0, msg.length));
    this.free.push(job.slot);
    this.waiting.shift()?.();
    job.resolve(out);
  }

  /** Gives the slot areas for inputs of `inputBytes`, and tells its worker. */
  private grow(slot: Slot, inputBytes: number): void {
    const input = new SharedArrayBuffer(inputBytes);
    const output = new SharedArrayBuffer(this.outputBytes(inputBytes));
    slot.input = new Uint8Array(input);
    slot.output = new Uint8Array(output);
    this.workers[slot.worker]!.postMessage({ op: 'slot', slot: slot.index, input, output } satisfies ToPoolWorker);
  }

  private failAll(error: Error): void {
    this.failure ??= error;
    for (const job of this.jobs.values()) job.reject(error);
    this.jobs.clear();
    for (const wake of this.waiting.splice(0)) wake();
  }
}
