import { randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { EncodedData, ItemEncoderSpec, SourceItem, Transform } from '@tapir/sdk';
import { describe, expect, it } from 'vitest';
import { zstdTransformKind } from '../dist/builtins/zstdTransform.js';
import { ArchiveWriter } from '../dist/format/ArchiveWriter.js';
import { itemEncoderFor } from '../dist/pipeline/itemEncoder.js';
import { SaveSetEncoder } from '../dist/pipeline/SaveSetEncoder.js';
import { membersOf } from './members.js';

const KiB = 1 << 10;

/** Contents that take every path of the zstd transform: empty, one byte, inline (< 64 KiB) and worker-sized. */
function contents(): Buffer[] {
  const text = Buffer.from('the quick brown fox jumps over the lazy dog\n'.repeat(2000));
  return [
    Buffer.alloc(0),
    Buffer.from('x'),
    randomBytes(10 * KiB),
    text.subarray(0, 10 * KiB),
    text.subarray(0, 70 * KiB),
    randomBytes(200 * KiB),
    Buffer.concat([text, randomBytes(40 * KiB)]),
  ];
}

/** Encodes every content on another thread, as a source's scan thread does, with the SDK's loader. */
async function encodeOnThread(spec: ItemEncoderSpec, data: Buffer[]): Promise<EncodedData[]> {
  const sdk = new URL('../../sdk/dist/index.js', import.meta.url).href;
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     import(workerData.sdk).then(async ({ loadItemEncoder }) => {
       const encode = await loadItemEncoder(workerData.spec);
       // Each result's data is valid until the next call: copied, as a source does.
       parentPort.postMessage(workerData.data.map((d) => { const e = encode(d); return { ...e, data: e.data.slice() }; }));
     });`,
    { eval: true, workerData: { sdk, spec, data } },
  );
  try {
    return await new Promise<EncodedData[]>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  } finally {
    await worker.terminate();
  }
}

/** The archive of `items` and their manifest records, the data members read back by name. */
async function archiveOf(
  transforms: Transform[],
  hash: string,
  itemEncoder: string | undefined,
  items: SourceItem[],
  segmentSize = 1 << 20,
) {
  const out: Buffer[] = [];
  const writer = new ArchiveWriter(async (list) => void out.push(...list.map((c) => Buffer.from(c))));
  const encoder = new SaveSetEncoder(writer, {
    saveSetId: 'test',
    hash,
    transforms,
    segmentSize,
    ...(itemEncoder ? { itemEncoder } : {}),
    warn: () => {},
  });
  const records = [];
  for (const item of items) records.push(await encoder.encode(item, new AbortController().signal));
  await writer.finish();
  await encoder.close();
  const members = (await membersOf(out)).map((m) => [m.name, m.data.toString('hex')]);
  return { records, members, bytes: encoder.bytes };
}

const file = (i: number, data: Buffer, opened: { count: number }): SourceItem => ({
  path: `tree/f${i}`,
  type: 'file',
  size: data.length,
  mode: 0o644,
  mtimeNs: '1763773080000000000',
  open: async function* () {
    opened.count++;
    yield Buffer.from(data);
  },
});

describe('the item encoder: small items hashed and encoded on another thread', () => {
  for (const chain of [
    { name: 'no transform', levels: [] as number[], hash: 'blake3' },
    { name: 'zstd level 1', levels: [1], hash: 'blake3' },
    { name: 'zstd level 3, SHA-256', levels: [3], hash: 'sha256' },
    // Segments as long as the longest encoded item: it is cut into numbered members, the others are not.
    { name: 'zstd level 1, segments of the longest encoded item', levels: [1], hash: 'blake3', segments: true },
  ]) {
    it(`stores the same members and records as the encoder's own path (${chain.name})`, async () => {
      const transforms = await Promise.all(chain.levels.map((level) => zstdTransformKind.create({ level })));
      const found = itemEncoderFor(chain.hash, transforms);
      expect(found).toBeDefined();
      const data = contents();
      const encoded = await encodeOnThread(found!.spec, data);
      expect(encoded.map((e) => [e.encoder, e.size])).toEqual(data.map((d) => [found!.id, d.length]));

      const segmentSize = chain.segments ? Math.max(...encoded.map((e) => e.data.length)) : undefined;
      const plainOpened = { count: 0 };
      const plain = await archiveOf(
        transforms,
        chain.hash,
        undefined,
        data.map((d, i) => file(i, d, plainOpened)),
        segmentSize,
      );
      const preOpened = { count: 0 };
      const pre = await archiveOf(
        transforms,
        chain.hash,
        found!.id,
        data.map((d, i) => ({ ...file(i, d, preOpened), encoded: encoded[i]! })),
        segmentSize,
      );
      if (chain.segments)
        expect(pre.members.map(([name]) => name)).toContainEqual(expect.stringMatching(/\.000000\.zst$/));
      expect(plainOpened.count).toBe(data.length);
      expect(preOpened.count).toBe(0);
      expect(pre.members).toEqual(plain.members);
      expect(pre.records).toEqual(plain.records);
      expect(pre.bytes).toBe(plain.bytes);
      for (const record of pre.records) expect(record).not.toHaveProperty('encoded');
      for (const t of transforms) await t.close?.();
    });
  }

  it("reads an item through open when its data was encoded by another save set's encoder", async () => {
    const transforms = [await zstdTransformKind.create({ level: 1 })];
    const ours = itemEncoderFor('blake3', transforms)!;
    const theirs = itemEncoderFor('blake3', transforms)!;
    const data = contents();
    const encoded = await encodeOnThread(theirs.spec, data);
    const opened = { count: 0 };
    const result = await archiveOf(
      transforms,
      'blake3',
      ours.id,
      data.map((d, i) => ({ ...file(i, d, opened), encoded: encoded[i]! })),
    );
    const plain = await archiveOf(
      transforms,
      'blake3',
      undefined,
      data.map((d, i) => file(i, d, { count: 0 })),
    );
    expect(opened.count).toBe(data.length);
    expect(result.members).toEqual(plain.members);
    await transforms[0]!.close?.();
  });

  it('is not offered when a transform has no thread form', () => {
    const opaque: Transform = {
      descriptor: { kind: 'opaque', stage: 500, params: {} },
      encode: () => (input) => input,
    };
    expect(itemEncoderFor('blake3', [opaque])).toBeUndefined();
    expect(itemEncoderFor('blake3', [])).toBeDefined();
  });
});
