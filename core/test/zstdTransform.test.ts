import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { zstdTransformKind } from '../dist/builtins/zstdTransform.js';

const MiB = 1 << 20;
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

const text = Buffer.from('tapir writes tapes that GNU tar can read\n'.repeat(200_000));
const noise = randomBytes(8 * MiB);

/** Chunks of the given sizes, alternately compressible text and random bytes; each a fresh buffer. */
function chunksOf(sizes: number[]): Buffer[] {
  return sizes.map((n, i) => Buffer.from((i % 2 ? noise : text).subarray(0, n)));
}

async function encodeAll(chunks: Buffer[], level: number, workers: number): Promise<Buffer> {
  const transform = await zstdTransformKind.create({ level, workers });
  const out: Uint8Array[] = [];
  try {
    const pipe = transform.encode()(
      (async function* () {
        yield* chunks;
      })(),
    );
    for await (const piece of pipe) out.push(Buffer.from(piece));
  } finally {
    await transform.close?.();
  }
  return Buffer.concat(out);
}

describe('the zstd transform and its worker pool', () => {
  it('encodes chunks larger than a slot, more chunks than slots, and decodes with plain zstd -d', async () => {
    const sizes = [MiB, 3 * MiB + 17, 64 << 10, 1, MiB - 1, 2 * MiB, 70_000, MiB, MiB, 5 * MiB, 100 << 10, MiB];
    const chunks = chunksOf(sizes);
    const expected = sha256(Buffer.concat(chunks));
    const encoded = await encodeAll(chunks, 1, 2);
    const decoded = execFileSync('zstd', ['-d', '-c', '-q'], { input: encoded, maxBuffer: 64 * MiB });
    expect(decoded.length).toBe(sizes.reduce((a, b) => a + b, 0));
    expect(sha256(decoded)).toBe(expected);
    // One frame per chunk, each with a content checksum: `zstd -lv` counts them.
    const dir = mkdtempSync(join(tmpdir(), 'tapir-zstd-'));
    let info: string;
    try {
      writeFileSync(join(dir, 'member.zst'), encoded);
      info = execFileSync('zstd', ['-lv', join(dir, 'member.zst')], { encoding: 'utf8' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(info).toMatch(new RegExp(`# Zstandard Frames: ${sizes.length}\\b`));
    expect(info).toMatch(/Check: XXH64/);
  });

  it('gives the same frames with one worker as with four', async () => {
    const sizes = [2 * MiB, MiB, 300_000, MiB, 4 * MiB];
    const one = await encodeAll(chunksOf(sizes), 3, 1);
    const four = await encodeAll(chunksOf(sizes), 3, 4);
    expect(sha256(four)).toBe(sha256(one));
  });
});
