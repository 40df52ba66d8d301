/**
 * Worker thread body of the zstd pool (`WorkerPool`): compresses the input of a slot into its output as one
 * independent zstd frame. Slots are shared memory, given once: nothing is allocated or moved per chunk.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { FromPoolWorker, ToPoolWorker } from './WorkerPool.js';
import { compressionContext } from './zstdChunk.js';

const cctx = compressionContext((workerData as { level: number }).level);
const slots: Array<{ input: Uint8Array; output: Uint8Array }> = [];

parentPort!.on('message', (msg: ToPoolWorker) => {
  if (msg.op === 'slot') {
    slots[msg.slot] = { input: new Uint8Array(msg.input), output: new Uint8Array(msg.output) };
    return;
  }
  const slot = slots[msg.slot]!;
  const length = cctx.compress2(slot.output, slot.input.subarray(0, msg.length));
  parentPort!.postMessage({ id: msg.id, length } satisfies FromPoolWorker);
});
