import { describe, expect, it } from 'vitest';
import { ArchiveWriter } from '../src/format/ArchiveWriter.js';

const MiB = 1 << 20;
const tick = () => new Promise((r) => setTimeout(r, 2));

describe('ArchiveWriter and its sink', () => {
  it('never runs two sink calls at once, keeps their order, and has everything written when finish() resolves', async () => {
    const seen: number[] = [];
    let running = 0;
    let most = 0;
    const w = new ArchiveWriter(async (chunks) => {
      running++;
      most = Math.max(most, running);
      await tick();
      seen.push(chunks[0]![0]!);
      running--;
    });
    await w.writeHeader({ name: 'a', type: '0', size: 4 * MiB });
    for (let i = 1; i <= 4; i++) await w.writeData(Buffer.alloc(MiB, i));
    await w.endData(4 * MiB);
    await w.finish();
    expect(most).toBe(1);
    // First bytes of each sink call: the header ('a') coalesced with the first MiB, the other three MiB as they came,
    // then the end-of-archive zeros.
    expect(seen).toEqual([0x61, 2, 3, 4, 0]);
    expect(running).toBe(0);
    expect(w.offset).toBe(512 + 4 * MiB + 1024);
  });

  it('writes a member held in memory in the background, as MiB views of the buffers it was given', async () => {
    const calls: Buffer[][] = [];
    let released = false;
    const w = new ArchiveWriter(async (chunks) => {
      await tick();
      calls.push(chunks);
    });
    const parts = Array.from({ length: 40 }, (_, i) => Buffer.alloc(64 * 1024 + (i === 39 ? 100 : 0), i));
    const size = parts.reduce((n, p) => n + p.length, 0);
    const at = await w.writeMember({ name: 'seg.000000', type: '0', size }, parts, () => (released = true));
    expect(at).toBe(0);
    // Handed over: the writing goes on while the caller produces the next member.
    expect(calls).toHaveLength(0);
    await w.settle(true);
    expect(released).toBe(true);
    // 2.5 MiB and a header: a MiB, a MiB, and the rest with the padding.
    const sizes = calls.map((c) => c.reduce((n, b) => n + b.length, 0));
    expect(sizes.slice(0, 2)).toEqual([1 << 20, 1 << 20]);
    expect(sizes).toHaveLength(3);
    const total = sizes.reduce((n, b) => n + b);
    expect(total).toBe(w.offset);
    expect(total % 512).toBe(0);
    // No copies: the data went out as views of the parts, all `size` bytes of it, between header and padding.
    const views = calls.flat().filter((b) => parts.some((p) => p.buffer === b.buffer));
    expect(views.reduce((n, b) => n + b.length, 0)).toBe(size);
    const header = total - size - (512 - (size % 512));
    expect(
      Buffer.concat(calls.flat())
        .subarray(header, header + size)
        .equals(Buffer.concat(parts)),
    ).toBe(true);
    await w.finish();
  });

  it('reports a failed sink call on a later write or on finish(), and sends nothing after it', async () => {
    let calls = 0;
    const w = new ArchiveWriter(async () => {
      calls++;
      await tick();
      if (calls === 2) throw new Error('disk full');
    });
    await w.writeHeader({ name: 'a', type: '0', size: 8 * MiB });
    const writes = async () => {
      for (let i = 0; i < 8; i++) await w.writeData(Buffer.alloc(MiB, i));
      await w.finish();
    };
    await expect(writes()).rejects.toThrow('disk full');
    expect(calls).toBe(2);
    await expect(w.settle(true)).resolves.toBeUndefined();
  });

  it('settle() waits for the call in flight and swallows its failure, for the abort after another error', async () => {
    let finished = false;
    const w = new ArchiveWriter(async () => {
      await tick();
      finished = true;
      throw new Error('late failure');
    });
    await w.writeData(Buffer.alloc(MiB));
    expect(finished).toBe(false);
    await w.settle();
    expect(finished).toBe(true);
  });
});
