import { availableParallelism } from 'node:os';
import { pipeline, Readable } from 'node:stream';
import { type ChunkPipe, type Transform, type TransformKind, TransformStage } from '@tapir/sdk';
import { Compressor, DecompressStream } from 'zstd-napi';
import { WorkerPool } from './WorkerPool.js';

/** Options of the zstd transform. */
export interface ZstdOptions {
  /** zstd level, 1 (fastest) to 19. @defaultValue 3 */
  level?: number;
  /** Worker threads compressing in parallel. @defaultValue the number of cores */
  workers?: number;
}

/** Chunks below this size are compressed on the calling thread: a round trip to a worker costs more. */
const INLINE_BELOW = 64 << 10;

/**
 * Compression with zstd, per member: every chunk becomes an independent frame with a content checksum, so chunks
 * compress in parallel on worker threads and the concatenated frames decompress with the plain `zstd -d`.
 */
export const zstdTransformKind: TransformKind<ZstdOptions> = {
  kind: 'zstd',
  stage: TransformStage.COMPRESS,
  schema: {
    type: 'object',
    properties: {
      level: { type: 'integer', minimum: 1, maximum: 19, default: 3 },
      workers: { type: 'integer', minimum: 1, maximum: 64 },
    },
    additionalProperties: false,
  },
  create(options) {
    const level = options.level ?? 3;
    const size = options.workers ?? availableParallelism();
    let pool: WorkerPool | undefined;
    const inline = new Compressor();
    inline.setParameters({ compressionLevel: level, checksumFlag: true });
    const transform: Transform = {
      descriptor: { kind: 'zstd', stage: TransformStage.COMPRESS, params: { level }, extension: '.zst' },
      encode(): ChunkPipe {
        return async function* (input) {
          const inFlight: Array<Promise<Buffer>> = [];
          const depth = size * 2;
          let empty = true;
          for await (const chunk of input) {
            empty = false;
            if (chunk.length < INLINE_BELOW) {
              inFlight.push(Promise.resolve(inline.compress(chunk)));
            } else {
              pool ??= new WorkerPool(new URL('./zstdWorker.js', import.meta.url), size, { level });
              // The chunk was hashed before it got here and nothing reads it after: move it, don't copy it.
              inFlight.push(pool.run(chunk, true));
            }
            while (inFlight.length >= depth) yield await inFlight.shift()!;
          }
          while (inFlight.length > 0) yield await inFlight.shift()!;
          // An empty frame, so that `zstd -d` accepts the member of an empty file.
          if (empty) yield inline.compress(Buffer.alloc(0));
        };
      },
      async close() {
        await pool?.close();
      },
    };
    return transform;
  },
  decoder(): ChunkPipe {
    return (input) => {
      const out = new DecompressStream();
      pipeline(Readable.from(input, { objectMode: false }), out, () => {});
      return out;
    };
  },
};
