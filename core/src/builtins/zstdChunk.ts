/**
 * The zstd transform's thread form ({@link ThreadEncoding}): one independent frame with a content checksum per
 * call, exactly as `encode()` makes of one chunk. Also the compression context of the zstd workers.
 */
import binding from 'zstd-napi/binding.js';

/** A compression context with the transform's parameters. */
export function compressionContext(level: number): InstanceType<typeof binding.CCtx> {
  const cctx = new binding.CCtx();
  cctx.setParameter(binding.CParameter.compressionLevel, level);
  cctx.setParameter(binding.CParameter.checksumFlag, 1);
  return cctx;
}

/** Compresses into one scratch buffer: each result is a view of it, valid until the next call. */
export function createChunkEncoder(params: { level: number }): (data: Uint8Array) => Uint8Array {
  const cctx = compressionContext(params.level);
  let scratch = new Uint8Array(0);
  return (data) => {
    const bound = binding.compressBound(data.byteLength);
    if (scratch.byteLength < bound) scratch = new Uint8Array(bound);
    return scratch.subarray(0, cctx.compress2(scratch, data));
  };
}
