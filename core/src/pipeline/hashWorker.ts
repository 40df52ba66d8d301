/**
 * Worker thread body of {@link ItemHashing}: hashes the blocks it is sent, per item, in the order they come, and
 * sends each block back as soon as it has been read.
 */
import { parentPort } from 'node:worker_threads';
import { createItemDigest, type ItemDigest } from '../format/itemHashes.js';
import type { ToHashWorker } from './ItemHashing.js';

const hashes = new Map<number, ItemDigest>();

parentPort!.on('message', (msg: ToHashWorker) => {
  if (msg.op === 'data') {
    let hash = hashes.get(msg.item);
    if (!hash) {
      hash = createItemDigest(msg.algorithm);
      hashes.set(msg.item, hash);
    }
    hash.update(new Uint8Array(msg.block, 0, msg.length));
    parentPort!.postMessage({ op: 'free', block: msg.block }, [msg.block]);
  } else if (msg.op === 'drop') {
    hashes.delete(msg.item);
  } else {
    const hash = hashes.get(msg.item)!;
    hashes.delete(msg.item);
    parentPort!.postMessage({ op: 'digest', item: msg.item, hex: hash.digest() });
  }
});
