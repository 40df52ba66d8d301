import { createHash, getHashes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ACCELERATED_HASH, hasShaInstructions, itemHash, SOFTWARE_HASH } from '../src/run/itemHash.js';

describe('the item hash of new save sets', () => {
  it('is SHA-256 on CPUs that list SHA instructions, BLAKE2b-512 elsewhere', () => {
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

  it('is one OpenSSL knows, and the same for every call', () => {
    expect([ACCELERATED_HASH, SOFTWARE_HASH]).toContain(itemHash());
    expect(itemHash()).toBe(itemHash());
    expect(getHashes()).toEqual(expect.arrayContaining([ACCELERATED_HASH, SOFTWARE_HASH]));
    expect(createHash(itemHash()).update('x').digest('hex')).toMatch(/^[0-9a-f]{64,128}$/);
  });
});
