/** GNU sparse format 1.0: the map that precedes the data regions of a sparse member. */
import type { SparseExtent } from '@tapir/sdk';
import { TapirError } from '@tapir/sdk';
import { padBlock } from './pax.js';

/**
 * Encodes the sparse map as GNU tar 1.0 expects: decimal numbers, one per line — the count, then offset and length
 * of each region — zero-padded to a 512-byte block. A file that ends in a hole gets a final empty region at its end.
 */
export function sparseMapBlock(extents: SparseExtent[], realSize: number): Buffer {
  const list = [...extents];
  const last = list[list.length - 1];
  if (!last || last.offset + last.length < realSize) list.push({ offset: realSize, length: 0 });
  const lines = [String(list.length), ...list.flatMap((e) => [String(e.offset), String(e.length)])];
  return padBlock(Buffer.from(lines.join('\n') + '\n'));
}

/** Decodes a sparse map from the start of member data; returns the extents and the bytes the map took. */
export function parseSparseMap(data: Buffer): { extents: SparseExtent[]; mapBytes: number } {
  const numbers: number[] = [];
  let pos = 0;
  const next = () => {
    const nl = data.indexOf(0x0a, pos);
    if (nl < 0) throw new TapirError('TAPIR_E_FORMAT', 'truncated sparse map');
    const n = Number(data.toString('latin1', pos, nl));
    if (!Number.isSafeInteger(n) || n < 0) throw new TapirError('TAPIR_E_FORMAT', 'bad number in sparse map');
    pos = nl + 1;
    return n;
  };
  const count = next();
  for (let i = 0; i < count * 2; i++) numbers.push(next());
  const extents: SparseExtent[] = [];
  for (let i = 0; i < numbers.length; i += 2) extents.push({ offset: numbers[i]!, length: numbers[i + 1]! });
  const mapBytes = Math.ceil(pos / 512) * 512;
  return { extents: extents.filter((e) => e.length > 0), mapBytes };
}
