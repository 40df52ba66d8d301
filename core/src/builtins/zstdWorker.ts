/**
 * Worker thread body: compresses each chunk it receives as one independent zstd frame.
 *
 * Nothing is allocated per chunk: the frame is made in one scratch buffer and copied back into the chunk's own
 * buffer, which was moved here (or copied here by `postMessage`) and is moved back as the answer. Three 1 MiB
 * allocations per chunk (the binding's output, its trimmed copy, a transferable copy) made the garbage collector and
 * the kernel's page faults a large part of a backup's CPU time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import binding from 'zstd-napi/binding.js';
import { compressionContext } from './zstdChunk.js';

const cctx = compressionContext((workerData as { level: number }).level);
let scratch = new Uint8Array(0);

parentPort!.on('message', (msg: { id: number; data: Uint8Array }) => {
  const { data } = msg;
  const bound = binding.compressBound(data.byteLength);
  if (scratch.byteLength < bound) scratch = new Uint8Array(bound);
  const length = cctx.compress2(scratch, data);
  let out: Uint8Array;
  if (length <= data.byteLength && data.buffer instanceof ArrayBuffer) {
    data.set(scratch.subarray(0, length));
    out = data.subarray(0, length);
  } else {
    // Incompressible data grows by a few bytes per frame: this one answer needs a buffer of its own.
    out = scratch.slice(0, length);
  }
  parentPort!.postMessage({ id: msg.id, data: out }, [out.buffer as ArrayBuffer]);
});
