/** Worker thread body: compresses each chunk it receives as one independent zstd frame. */
import { parentPort, workerData } from 'node:worker_threads';
import { Compressor } from 'zstd-napi';

const compressor = new Compressor();
compressor.setParameters({ compressionLevel: (workerData as { level: number }).level, checksumFlag: true });

parentPort!.on('message', (msg: { id: number; data: Uint8Array }) => {
  const out = compressor.compress(msg.data);
  // Copy into a fresh ArrayBuffer we can transfer: the binding's buffer may share memory with its scratch space.
  const copy = new Uint8Array(out.length);
  copy.set(out);
  parentPort!.postMessage({ id: msg.id, data: copy }, [copy.buffer]);
});
