/**
 * Worker thread body of {@link ItemHashing}: hashes the blocks of shared memory it is told about, per item, in the
 * order the messages come, and gives each block back as soon as it has been read.
 */
import { createHash, type Hash } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import type { ToHashWorker } from './ItemHashing.js';

const blocks = (workerData as { blocks: SharedArrayBuffer[] }).blocks.map((b) => Buffer.from(b));
const hashes = new Map<number, Hash>();

parentPort!.on('message', (msg: ToHashWorker) => {
  if (msg.op === 'data') {
    let hash = hashes.get(msg.item);
    if (!hash) {
      hash = createHash(msg.algorithm);
      hashes.set(msg.item, hash);
    }
    hash.update(blocks[msg.block]!.subarray(0, msg.length));
    parentPort!.postMessage({ op: 'free', block: msg.block });
  } else if (msg.op === 'drop') {
    hashes.delete(msg.item);
  } else {
    const hash = hashes.get(msg.item)!;
    hashes.delete(msg.item);
    parentPort!.postMessage({ op: 'digest', item: msg.item, hex: hash.digest('hex') });
  }
});
