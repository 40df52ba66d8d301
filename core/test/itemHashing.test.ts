import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
// The built module: its hashing thread starts from dist.
import { type ItemHasher, ItemHashing } from '../dist/pipeline/ItemHashing.js';

const MiB = 1 << 20;

/** The digest by another implementation: OpenSSL, or Debian's b3sum for BLAKE3. */
function reference(algorithm: string, data: Buffer): string {
  if (algorithm === 'blake3') return execFileSync('b3sum', ['--no-names'], { input: data, encoding: 'utf8' }).trim();
  return createHash(algorithm).update(data).digest('hex');
}

async function feed(hasher: ItemHasher, data: Buffer, sizes: number[]): Promise<void> {
  for (let at = 0, i = 0; at < data.length; i++) {
    const n = sizes[i % sizes.length]!;
    // A fresh chunk, overwritten once update returns: the hasher must have copied what it needs.
    const chunk = Buffer.from(data.subarray(at, at + n));
    const pending = hasher.update(chunk);
    if (pending) await pending;
    chunk.fill(0xaa);
    at += n;
  }
}

describe('item hashes beside the encoder', () => {
  it('gives the digests of a single-threaded hash, for items within one block and items of many', async () => {
    for (const algorithm of ['sha256', 'blake2b512', 'blake3']) {
      const hashing = new ItemHashing(algorithm);
      for (const size of [0, 1, 1000, MiB - 1, MiB, MiB + 1, 21 * MiB + 333]) {
        const data = randomBytes(size);
        const hasher = hashing.hasher();
        await feed(hasher, data, [65536, 1, 300_000, 4096]);
        expect(await hasher.digest(), `${algorithm}, ${size} bytes`).toBe(reference(algorithm, data));
      }
      await hashing.close();
    }
  });

  it('keeps items apart when their blocks interleave, and waits for free blocks instead of growing', async () => {
    for (const algorithm of ['sha256', 'blake3']) {
      const hashing = new ItemHashing(algorithm);
      const a = randomBytes(12 * MiB);
      const b = randomBytes(9 * MiB + 7);
      const ha = hashing.hasher();
      const hb = hashing.hasher();
      for (let at = 0; at < Math.max(a.length, b.length); at += 512 * 1024) {
        for (const [h, d] of [
          [ha, a],
          [hb, b],
        ] as const) {
          if (at >= d.length) continue;
          const pending = h.update(d.subarray(at, at + 512 * 1024));
          if (pending) await pending;
        }
      }
      expect(await hb.digest(), algorithm).toBe(reference(algorithm, b));
      expect(await ha.digest(), algorithm).toBe(reference(algorithm, a));
      await hashing.close();
    }
  });

  it('fails a pending digest, and the next item, once closed (a run that stops midway)', async () => {
    const hashing = new ItemHashing('sha256');
    const h = hashing.hasher();
    await feed(h, randomBytes(2 * MiB), [MiB]);
    await hashing.close();
    await expect(h.digest()).rejects.toThrow('item hashing closed');
    // Its first full block would need the thread: refused, and no thread is started again.
    await expect(feed(hashing.hasher(), randomBytes(MiB), [MiB])).rejects.toThrow('item hashing closed');
    expect(hashing['worker']).toBeUndefined();
  });

  it('gets its blocks back from abandoned items: more abandoned items than blocks do not stall the next', async () => {
    const hashing = new ItemHashing('sha256');
    for (let i = 0; i < 20; i++) {
      const h = hashing.hasher();
      await feed(h, randomBytes(MiB + 1000), [65536]);
      h.abandon();
    }
    const data = randomBytes(3 * MiB);
    const h = hashing.hasher();
    await feed(h, data, [MiB]);
    expect(await h.digest()).toBe(createHash('sha256').update(data).digest('hex'));
    await hashing.close();
  });
});
