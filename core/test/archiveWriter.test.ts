import { describe, expect, it } from 'vitest';
import { ArchiveWriter } from '../src/format/ArchiveWriter.js';

const MiB = 1 << 20;
const tick = () => new Promise((r) => setTimeout(r, 2));

describe('ArchiveWriter and its sink', () => {
  it('never runs two sink calls at once, keeps their order, and has everything written when finish() resolves', async () => {
    const seen: number[] = [];
    let running = 0;
    let most = 0;
    const w = new ArchiveWriter(async (chunk) => {
      running++;
      most = Math.max(most, running);
      await tick();
      seen.push(chunk[0]!);
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
