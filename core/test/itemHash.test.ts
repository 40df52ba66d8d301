import { execFileSync } from 'node:child_process';
import { getHashes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BLAKE3, blake3Available, createItemDigest, isItemHash } from '../src/format/itemHashes.js';
import { ACCELERATED_HASH, hasShaInstructions, itemHash, SOFTWARE_HASH } from '../src/run/itemHash.js';

describe('the item hash of new save sets', () => {
  it('without BLAKE3: SHA-256 on CPUs that list SHA instructions, BLAKE2b-512 elsewhere', () => {
    const x86 = 'processor\t: 0\nflags\t\t: fpu vme sse2 aes avx2 sha_ni xsaveopt\n';
    const x86Old = 'processor\t: 0\nflags\t\t: fpu vme sse2 aes avx2 xsaveopt\n';
    const arm = 'processor\t: 0\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32\n';
    const armOld = 'processor\t: 0\nFeatures\t: fp asimd evtstrm aes pmull sha1 crc32\n';
    expect(hasShaInstructions(x86)).toBe(true);
    expect(hasShaInstructions(arm)).toBe(true);
    expect(hasShaInstructions(x86Old)).toBe(false);
    expect(hasShaInstructions(armOld)).toBe(false);
    // A flag name elsewhere in the text (a model name) does not count.
    expect(hasShaInstructions('model name\t: sha_ni edition\nflags\t\t: fpu sse2\n')).toBe(false);
    expect(hasShaInstructions('')).toBe(false);
  });

  it('is BLAKE3 where its module loads (as on every machine tapir is built and tested on), the same for every call', () => {
    expect(blake3Available()).toBe(true);
    expect(itemHash()).toBe(BLAKE3);
    expect(itemHash()).toBe(itemHash());
    expect(getHashes()).toEqual(expect.arrayContaining([ACCELERATED_HASH, SOFTWARE_HASH]));
    expect(isItemHash(BLAKE3) && isItemHash('sha256') && !isItemHash('crc32')).toBe(true);
  });

  it("gives the digests of Debian's b3sum, also from hashers used again", () => {
    for (const input of ['', 'abc', 'x'.repeat(1025), 'tapir '.repeat(50_000)]) {
      const expected = execFileSync('b3sum', ['--no-names'], { input, encoding: 'utf8' }).trim();
      const digest = createItemDigest(BLAKE3);
      // Fed in pieces that cross BLAKE3's 1024-byte chunks.
      for (let at = 0; at < input.length || at === 0; at += 999) {
        digest.update(Buffer.from(input.slice(at, at + 999)));
        if (input.length === 0) break;
      }
      expect(digest.digest(), `${input.length} bytes`).toBe(expected);
    }
  });
});
