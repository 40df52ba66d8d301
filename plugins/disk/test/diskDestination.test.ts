import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiskDestination } from '../src/DiskDestination.js';

const MiB = 1 << 20;
const info = (id: string) => ({
  id,
  job: 'test',
  object: 'tree',
  level: 'full' as const,
  startedAt: new Date().toISOString(),
});
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('the disk destination writing a save set', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tapir-disk-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('stores gather lists past several background flushes byte for byte, under its final name only once committed', async () => {
    const destination = new DiskDestination({ path: dir });
    const writer = await destination.create(info('00000000-0000-4000-8000-00000000000a'));
    // 150 MiB: two background flushes (every 64 MiB) happen while writing goes on.
    const block = randomBytes(MiB);
    const written = createHash('sha256');
    let total = 0;
    for (let i = 0; i < 150; i++) {
      // Uneven pieces of a varied MiB, as a segment of a stream arrives: header-sized, odd and empty ones.
      const mib = Buffer.from(block);
      mib.writeUInt32BE(i, 0);
      const pieces = [mib.subarray(0, 512), mib.subarray(512, 512), mib.subarray(512, 70_001), mib.subarray(70_001)];
      if (i % 2 === 0) await writer.writev!(pieces);
      else await writer.write(mib);
      written.update(mib);
      total += mib.length;
    }
    expect(await readdir(dir)).toEqual(['.00000000-0000-4000-8000-00000000000a.tar.partial']);
    const extents = await writer.commit();
    expect(extents).toEqual([
      { sequence: 0, location: { file: '00000000-0000-4000-8000-00000000000a.tar' }, bytes: total },
    ]);
    expect(await readdir(dir)).toEqual(['00000000-0000-4000-8000-00000000000a.tar']);
    expect(sha256(await readFile(join(dir, '00000000-0000-4000-8000-00000000000a.tar')))).toBe(written.digest('hex'));
  });

  it('leaves nothing behind when aborted right after a background flush started', async () => {
    const destination = new DiskDestination({ path: dir });
    const writer = await destination.create(info('00000000-0000-4000-8000-00000000000b'));
    await writer.writev!([Buffer.alloc(64 * MiB, 1), Buffer.alloc(MiB, 2)]);
    await writer.abort(new Error('cancelled'));
    await writer.abort(new Error('twice'));
    expect(await readdir(dir)).toEqual([]);
  });
});
