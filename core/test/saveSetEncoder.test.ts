import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { zstdTransformKind } from '../dist/builtins/zstdTransform.js';
import { ArchiveWriter } from '../dist/format/ArchiveWriter.js';
import { SaveSetEncoder, secondsOf } from '../dist/pipeline/SaveSetEncoder.js';
import { membersOf } from './members.js';

const KiB = 1 << 10;
const MiB = 1 << 20;
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** A stream of fresh chunks of uneven sizes over `data`. */
async function* chunks(data: Buffer): AsyncGenerator<Uint8Array> {
  for (let at = 0, i = 0; at < data.length; i++) {
    const n = [65536, 1, 200_000, 4096, 777][i % 5]!;
    yield Buffer.from(data.subarray(at, at + n));
    at += n;
  }
}

// The built modules: item hashing starts its worker thread from dist.
describe('SaveSetEncoder and segment buffers', () => {
  it('cuts streams into segments whose bytes survive a slow sink, while segment buffers are used again', async () => {
    const archive: Buffer[] = [];
    let calls = 0;
    // A sink that copies what it was given only after a while, as a destination writing in the background does:
    // a buffer handed back before its write ended would be overwritten by the next segment, and the bytes differ.
    const writer = new ArchiveWriter(async (list) => {
      calls++;
      await new Promise((r) => setTimeout(r, 3));
      archive.push(...list.map((c) => Buffer.from(c)));
    });
    const encoder = new SaveSetEncoder(writer, {
      saveSetId: 'test',
      hash: 'sha256',
      transforms: [],
      segmentSize: MiB,
      warn: () => {},
    });
    const big = randomBytes(5 * MiB + 12_345);
    const small = randomBytes(100 * KiB);
    const signal = new AbortController().signal;
    const stream = (path: string, data: Buffer) => ({
      path,
      type: 'stream' as const,
      mode: 0o600,
      open: () => chunks(data),
    });
    const bigRecord = await encoder.encode(stream('vm/disk0.vhd', big), signal);
    const smallRecord = await encoder.encode(stream('vm/small.bin', small), signal);
    await writer.finish();

    expect(bigRecord.hash).toBe(`sha256:${sha256(big)}`);
    expect(bigRecord.members!.map((m) => m.size)).toEqual([MiB, MiB, MiB, MiB, MiB, 12_345]);
    expect(smallRecord.members!.map((m) => m.size)).toEqual([100 * KiB]);
    // Each full segment went to the sink in a call of its own.
    expect(calls).toBeGreaterThanOrEqual(6);

    const members = new Map((await membersOf(archive)).map((m) => [m.name, m.data]));
    expect([...members.keys()]).toEqual([...[0, 1, 2, 3, 4, 5].map((i) => `vm/disk0.vhd.00000${i}`), 'vm/small.bin']);
    const joined = Buffer.concat([0, 1, 2, 3, 4, 5].map((i) => members.get(`vm/disk0.vhd.00000${i}`)!));
    expect(sha256(joined)).toBe(sha256(big));
    expect(sha256(members.get('vm/small.bin')!)).toBe(sha256(small));
    await encoder.close();
  });
});

describe('SaveSetEncoder and the buffers sources read into', () => {
  const cases = [
    { name: 'a file, no transform', type: 'file' as const, zstd: false, segment: 4 * MiB },
    {
      name: 'a stream, no transform, 200 KiB segments',
      type: 'stream' as const,
      zstd: false,
      segment: 200 * KiB,
      spans: true,
    },
    { name: 'a stream, no transform, 1.5 MiB segments', type: 'stream' as const, zstd: false, segment: 1.5 * MiB },
    { name: 'a file, zstd', type: 'file' as const, zstd: true, segment: 4 * MiB },
    { name: 'a file, zstd, 200 KiB segments', type: 'file' as const, zstd: true, segment: 200 * KiB },
    { name: 'a stream, zstd, 1.5 MiB segments', type: 'stream' as const, zstd: true, segment: 1.5 * MiB },
  ];
  for (const c of cases) {
    it(`uses chunk memory again only once it was written or copied (${c.name})`, async () => {
      const archive: Buffer[] = [];
      // A slow sink that copies late: memory handed out again before its write ended would change the bytes.
      const writer = new ArchiveWriter(async (list) => {
        await new Promise((r) => setTimeout(r, 2));
        archive.push(...list.map((b) => Buffer.from(b)));
      });
      const transforms = c.zstd ? [await zstdTransformKind.create({ level: 1, workers: 2 })] : [];
      const encoder = new SaveSetEncoder(writer, {
        saveSetId: 'test',
        hash: 'sha256',
        transforms,
        segmentSize: c.segment,
        warn: () => {},
      });
      // Random and compressible halves: zstd answers both in buffers of its own and in the pool's.
      const files = [0, 1, 2, 3].map((i) =>
        i % 2 ? randomBytes(3 * MiB + 4321) : Buffer.from('pool '.repeat(700_000)).subarray(0, 3 * MiB + 99),
      );
      const memories = new Set<ArrayBufferLike>();
      let chunks = 0;
      for (const [i, data] of files.entries()) {
        await encoder.encode(
          {
            path: `big${i}`,
            type: c.type,
            ...(c.type === 'file' ? { size: data.length } : {}),
            mode: 0o644,
            async *open(_signal, buffers) {
              for (let at = 0; at < data.length; at += MiB) {
                const n = Math.min(MiB, data.length - at);
                const buf = buffers!.take(n);
                memories.add(buf.buffer);
                chunks++;
                data.copy(buf, 0, at, at + n);
                yield buf;
              }
            },
          },
          new AbortController().signal,
        );
      }
      await writer.finish();
      await encoder.close();
      for (const t of transforms) await t.close?.();

      const members = new Map<string, Buffer[]>();
      for (const m of await membersOf(archive)) {
        const name = m.name.replace(/(\.\d{6})?(\.zst)?$/, '');
        members.set(name, [...(members.get(name) ?? []), m.data]);
      }
      for (const [i, data] of files.entries()) {
        const stored = Buffer.concat(members.get(`big${i}`)!);
        const plain = c.zstd
          ? execFileSync('zstd', ['-d', '-c', '-q'], { input: stored, maxBuffer: 64 * MiB })
          : stored;
        expect(sha256(plain), `big${i}`).toBe(sha256(data));
      }
      // 16 chunks went through far fewer buffers, except where chunks span members: those are not used again.
      expect(chunks).toBe(16);
      if ('spans' in c) expect(memories.size).toBeGreaterThan(8);
      else expect(memories.size).toBeLessThanOrEqual(8);
    });
  }
});

describe('member times', () => {
  it('are the whole seconds of an item time in nanoseconds, truncated as BigInt division truncates', () => {
    for (const ns of ['0', '1', '999999999', '1000000000', '1795352037036619126', '-1', '-1500000000', '0001000000000'])
      expect(secondsOf(ns), ns).toBe(Number(BigInt(ns) / 1_000_000_000n));
  });
});
