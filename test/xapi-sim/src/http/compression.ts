import { PassThrough, Readable, type Transform } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import zstd from 'zstd-napi';

/** What `use_compression` asks for. */
export type ExportCompression = 'none' | 'gzip' | 'zstd';

/** `use_compression` query value to a compression: `true`/`gzip` → gzip, `zstd` → zstd. */
export function parseCompression(value: string | null): ExportCompression {
  if (value === 'true' || value === 'gzip') return 'gzip';
  if (value === 'zstd') return 'zstd';
  return 'none';
}

function compressor(kind: ExportCompression): Transform {
  if (kind === 'gzip') return createGzip({ level: 1 });
  if (kind === 'zstd') return new zstd.CompressStream({ compressionLevel: 1 }) as unknown as Transform;
  return new PassThrough();
}

/** Compresses a stream of buffers. */
export function compress(source: AsyncIterable<Buffer>, kind: ExportCompression): AsyncIterable<Buffer> {
  if (kind === 'none') return source;
  return Readable.from(source).pipe(compressor(kind)) as AsyncIterable<Buffer>;
}

/**
 * A body with gzip or zstd recognised by its magic bytes and undone, as
 * XAPI's `/import` accepts plain, gzip or zstd XVAs.
 */
export async function* decompressByMagic(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const iterator = source[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  let ended = false;
  while (head.length < 4) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    head = Buffer.concat([head, next.value]);
  }
  const rest = async function* (): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    if (ended) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  };
  const isGzip = head[0] === 0x1f && head[1] === 0x8b;
  const isZstd = head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528;
  if (!isGzip && !isZstd) {
    yield* rest();
    return;
  }
  const inflater = isGzip ? createGunzip() : (new zstd.DecompressStream() as unknown as Transform);
  yield* Readable.from(rest()).pipe(inflater) as AsyncIterable<Buffer>;
}
