import { Worker } from 'node:worker_threads';

interface Job {
  resolve(data: Buffer): void;
  reject(error: Error): void;
}

/**
 * A fixed pool of worker threads running one script, answering `{id, data}` messages in any order.
 * Workers are referenced only while they have work: an idle pool never keeps the process alive, a busy one does.
 */
export class WorkerPool {
  private readonly workers: Worker[] = [];
  private readonly jobs = new Map<number, Job>();
  private nextId = 0;
  private turn = 0;

  constructor(script: URL, size: number, workerData: unknown) {
    for (let i = 0; i < size; i++) {
      const worker = new Worker(script, { workerData });
      worker.on('message', (msg: { id: number; data: Uint8Array }) => {
        const job = this.jobs.get(msg.id);
        this.jobs.delete(msg.id);
        if (this.jobs.size === 0) for (const w of this.workers) w.unref();
        job?.resolve(Buffer.from(msg.data.buffer, msg.data.byteOffset, msg.data.byteLength));
      });
      worker.on('error', (error) => this.failAll(error));
      worker.unref();
      this.workers.push(worker);
    }
  }

  /**
   * Sends `data` to the next worker in turn and resolves with its answer. With `transfer`, a chunk that owns its
   * whole ArrayBuffer moves to the worker without a copy and is unusable here afterwards.
   */
  run(data: Uint8Array, transfer = false): Promise<Buffer> {
    const id = this.nextId++;
    const worker = this.workers[this.turn++ % this.workers.length]!;
    if (this.jobs.size === 0) for (const w of this.workers) w.ref();
    return new Promise((resolve, reject) => {
      this.jobs.set(id, { resolve, reject });
      const movable =
        transfer &&
        data.byteOffset === 0 &&
        data.byteLength === data.buffer.byteLength &&
        data.buffer instanceof ArrayBuffer;
      worker.postMessage({ id, data }, movable ? [data.buffer as ArrayBuffer] : []);
    });
  }

  async close(): Promise<void> {
    // Referenced while they stop: see ItemHashing.close.
    for (const w of this.workers) w.ref();
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private failAll(error: Error): void {
    for (const job of this.jobs.values()) job.reject(error);
    this.jobs.clear();
  }
}
