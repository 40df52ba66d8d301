import { createHash } from 'node:crypto';

/** A seeded generator (mulberry32) so that failures reproduce. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A block of `size` bytes whose content depends on `tag`, cheap to make and to tell apart from any other. */
export function makeBlock(size: number, tag: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(tag, 0);
  head.writeUInt32BE(size, 4);
  let x = (tag * 2654435761) >>> 0;
  for (let i = 0; i + 4 <= size; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b.writeUInt32LE(x >>> 0, i);
  }
  for (let i = size & ~3; i < size; i++) b[i] = tag & 0xff;
  head.copy(b, 0, 0, Math.min(8, size));
  return b;
}

export function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}
