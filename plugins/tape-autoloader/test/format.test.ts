/** The on-tape structures of docs/format/tape-label-v1.md, without a tape. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeMarker, encodeMarker, MARKER_BLOCK_BYTES } from '../src/ContinuationMarker.js';
import { archiveLength, saveSetIdOf } from '../src/TapeScanner.js';
import { decodeLabel, encodeLabel, LABEL_BLOCK_BYTES, type VolumeLabel } from '../src/VolumeLabel.js';

const label: VolumeLabel = {
  format: 'tapir-volume-label',
  version: 1,
  barcode: 'TAPE0001L6',
  pool: 'default',
  blockSize: 262144,
  labelledAt: '2026-11-22T01:00:00.000Z',
  writer: 'tapir 0.1.0',
};

describe('volume label', () => {
  it('is one 32 KiB block of JSON, a newline and zeros, and decodes back', () => {
    const block = encodeLabel(label);
    expect(block).toHaveLength(LABEL_BLOCK_BYTES);
    const text = block.toString('utf8', 0, block.indexOf(0));
    expect(text).toBe(`${JSON.stringify(label)}\n`);
    expect(decodeLabel(block)).toEqual(label);
  });

  it.each([
    ['a blank block', Buffer.alloc(512)],
    ['a tar header', Buffer.from('.tapir-saveset/header.json')],
    ['truncated JSON', Buffer.from('{"format":"tapir-volume-label","version":1,"barc')],
  ])('is not found in %s', (_name, block) => {
    expect(decodeLabel(block)).toBeUndefined();
  });

  it('of an unknown version is refused', () => {
    const block = Buffer.from(`${JSON.stringify({ ...label, version: 2 })}\n`);
    expect(() => decodeLabel(block)).toThrow(/version 2 is not known/);
  });
});

describe('continuation marker', () => {
  it('is one 4 KiB block and decodes back', () => {
    const block = encodeMarker({ saveSet: 'abc', sequence: 2, offset: 8_388_608 });
    expect(block).toHaveLength(MARKER_BLOCK_BYTES);
    expect(decodeMarker(block)).toEqual({
      format: 'tapir-continuation',
      version: 1,
      saveSet: 'abc',
      sequence: 2,
      offset: 8_388_608,
    });
    expect(decodeMarker(encodeLabel(label))).toBeUndefined();
  });
});

describe('scanning a tape file', () => {
  it('finds the save-set id in the header member and the archive length behind the padding', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tapir-scan-'));
    try {
      mkdirSync(join(dir, '.tapir-saveset'));
      writeFileSync(join(dir, '.tapir-saveset/header.json'), JSON.stringify({ format: 'tapir-saveset', id: 'the-id' }));
      writeFileSync(join(dir, 'data.txt'), 'x'.repeat(1000));
      execFileSync('tar', [
        '--format=pax',
        '-b',
        '1',
        '-cf',
        join(dir, 'a.tar'),
        '-C',
        dir,
        '.tapir-saveset/header.json',
        'data.txt',
      ]);
      const archive = readFileSync(join(dir, 'a.tar'));
      expect(saveSetIdOf(archive)).toBe('the-id');
      // As on tape: padded with zeros to a whole 64 KiB block.
      const block = Buffer.alloc(65536);
      archive.copy(block);
      let last = -1;
      for (let i = block.length - 1; i >= 0; i--)
        if (block[i] !== 0) {
          last = i;
          break;
        }
      expect(archiveLength(last, block.length)).toBe(archive.length);
      expect(saveSetIdOf(Buffer.alloc(1024))).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
