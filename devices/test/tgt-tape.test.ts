import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTapirError } from '@tapir/sdk';
import { IscsiTransport, MediaChanger, TapeDrive } from '../src/index.js';
import { startVtl, type TapeImageEntry, type Vtl } from '../../test/tgt/vtl.js';
import { makeBlock, seeded, sha256 } from './support/blocks.js';

const BARCODE = 'TAPE0002L6';
const SLOT = 11;
const DRIVE_ELEMENT = 1;
const MiB = 1 << 20;

let vtl: Vtl;
let transport: IscsiTransport;
let changer: MediaChanger;
let drive: TapeDrive;

beforeAll(async () => {
  // ~530 MiB of blocks must fit before the early-warning point.
  vtl = await startVtl({ tapeSizes: { [BARCODE]: 2048 } });
  transport = await IscsiTransport.connect(vtl.url);
  changer = await MediaChanger.open(transport, vtl.changerLun);
  drive = await TapeDrive.open(transport, vtl.driveLuns[0], { name: 'drive0' });
  await changer.move(SLOT, DRIVE_ELEMENT);
  await drive.waitReady(10_000);
});

afterAll(async () => {
  await transport?.close();
  await vtl?.stop();
});

const rand = seeded(20261122);
const FILE1 = Array.from({ length: 1000 }, (_, i) => ({
  size: 64 * 1024 + Math.floor(rand() * (MiB - 64 * 1024 + 1)),
  tag: i,
}));
const FILE2 = Array.from({ length: 20 }, (_, i) => ({ size: 1000 + Math.floor(rand() * 200_000), tag: 10_000 + i }));
const FILE3 = Array.from({ length: 5 }, (_, i) => ({ size: 4096 * (i + 1), tag: 20_000 + i }));

async function writeFile(blocks: Array<{ size: number; tag: number }>): Promise<void> {
  for (const b of blocks) await drive.writeBlock(makeBlock(b.size, b.tag));
  await drive.writeFilemarks(1);
}

/** Reads one tape file and checks every block's bytes; returns how the file ended. */
async function readFile(blocks: Array<{ size: number; tag: number }>): Promise<void> {
  for (const [i, b] of blocks.entries()) {
    const r = await drive.readBlock(MiB);
    if (r.kind !== 'data') throw new Error(`block ${i}: expected data, got ${r.kind}`);
    expect(r.data.length, `block ${i} length`).toBe(b.size);
    if (sha256(r.data) !== sha256(makeBlock(b.size, b.tag))) throw new Error(`block ${i} differs`);
  }
  expect((await drive.readBlock(MiB)).kind).toBe('filemark');
}

function expectedImage(...files: Array<Array<{ size: number }>>): Array<Pick<TapeImageEntry, 'kind' | 'size'>> {
  return [
    ...files.flatMap((f) => [
      ...f.map((b) => ({ kind: 'data' as const, size: b.size })),
      { kind: 'filemark' as const, size: 0 },
    ]),
    { kind: 'eod', size: 0 },
  ];
}

describe('tgt VTL: tape drive', () => {
  it('writes 1,000 variable blocks of 64 KiB–1 MiB, a filemark and a second file, as tgtimg shows', async () => {
    expect(drive.position).toEqual({ file: 0, block: 0, atEndOfData: false });
    await writeFile(FILE1);
    expect(drive.position).toEqual({ file: 1, block: 0, atEndOfData: true });
    await writeFile(FILE2);
    expect(drive.position).toEqual({ file: 2, block: 0, atEndOfData: true });
    const image = await vtl.show(BARCODE);
    expect(image.map(({ kind, size }) => ({ kind, size }))).toEqual(expectedImage(FILE1, FILE2));
  });

  it('rewinds and reads everything back byte-identical, ending at end of data', async () => {
    await drive.rewind();
    await readFile(FILE1);
    expect(drive.position).toEqual({ file: 1, block: 0, atEndOfData: false });
    await readFile(FILE2);
    expect((await drive.readBlock(MiB)).kind).toBe('end-of-data');
  });

  it('spacing one filemark from the start lands on the first block of file 2', async () => {
    await drive.rewind();
    await drive.spaceFilemarks(1);
    expect(drive.position).toEqual({ file: 1, block: 0, atEndOfData: false });
    const r = await drive.readBlock(MiB);
    expect(r.kind === 'data' && r.data.equals(makeBlock(FILE2[0]!.size, FILE2[0]!.tag))).toBe(true);
    expect(drive.position.block).toBe(1);
  });

  it('spaces blocks forward within a file', async () => {
    await drive.rewind();
    await drive.spaceBlocks(10);
    const r = await drive.readBlock(MiB);
    expect(r.kind === 'data' && r.data.equals(makeBlock(FILE1[10]!.size, FILE1[10]!.tag))).toBe(true);
    expect(drive.position).toEqual({ file: 0, block: 11, atEndOfData: false });
  });

  it('refuses a block larger than the read size, naming both lengths', async () => {
    await drive.rewind();
    const big = FILE1.findIndex((b) => b.size > 600_000);
    await drive.spaceBlocks(big);
    try {
      await drive.readBlock(512 * 1024);
      expect.unreachable();
    } catch (err) {
      expect(isTapirError(err, 'TAPIR_E_DEVICE')).toBe(true);
      expect((err as { context: Record<string, unknown> }).context).toMatchObject({
        blockLength: FILE1[big]!.size,
        maxLength: 512 * 1024,
      });
    }
  });

  it('after unload and reload, appending at end of data keeps everything written before', async () => {
    await drive.unload();
    await changer.move(DRIVE_ELEMENT, SLOT);
    expect(await drive.ready()).not.toBe('ready');
    await changer.move(SLOT, DRIVE_ELEMENT);
    await drive.waitReady(10_000);
    expect(await drive.seekEndOfData()).toEqual({ file: 2, block: 0, atEndOfData: true });
    await writeFile(FILE3);
    expect((await vtl.show(BARCODE)).map(({ kind, size }) => ({ kind, size }))).toEqual(
      expectedImage(FILE1, FILE2, FILE3),
    );
    await drive.rewind();
    await readFile(FILE1);
    await readFile(FILE2);
    await readFile(FILE3);
    expect((await drive.readBlock(MiB)).kind).toBe('end-of-data');
  });

  it('writes and reads a tape file through streams with backpressure', async () => {
    await drive.seekEndOfData();
    const payload = Buffer.concat(Array.from({ length: 40 }, (_, i) => makeBlock(100_000 + i, 30_000 + i)));
    const chunks = Array.from({ length: Math.ceil(payload.length / 77_777) }, (_, i) =>
      payload.subarray(i * 77_777, (i + 1) * 77_777),
    );
    const out = drive.createWriteStream({ blockSize: 256 * 1024 });
    let sawBackpressure = false;
    out.on('drain', () => (sawBackpressure = true));
    await pipeline(Readable.from(chunks), out);
    expect(sawBackpressure).toBe(true);
    const image = await vtl.show(BARCODE);
    const file4 = image.slice(image.length - 2 - Math.ceil(payload.length / (256 * 1024)), -2);
    expect(file4.every((e) => e.kind === 'data')).toBe(true);
    expect(file4.reduce((n, e) => n + e.size, 0)).toBe(payload.length);
    expect(file4.slice(0, -1).every((e) => e.size === 256 * 1024)).toBe(true);

    await drive.rewind();
    await drive.spaceFilemarks(3);
    const parts: Buffer[] = [];
    const input = drive.createReadStream({ maxBlockSize: 256 * 1024 });
    for await (const chunk of input) parts.push(chunk as Buffer);
    expect(input.endedAt).toBe('filemark');
    expect(Buffer.concat(parts).equals(payload)).toBe(true);
  });

  it('reports block limits and switches to fixed 64 KiB blocks with MODE SELECT and back', async () => {
    expect(await drive.blockLimits()).toEqual({ granularity: 9, maximum: MiB, minimum: 4 });
    await drive.seekEndOfData();
    await drive.setBlockSize(65536);
    try {
      expect(drive.blockSize).toBe(65536);
      const data = makeBlock(4 * 65536, 40_000);
      await drive.writeBlock(data); // one WRITE(6) of four fixed blocks
      await drive.writeFilemarks(1);
      const image = await vtl.show(BARCODE);
      expect(image.slice(-6).map((e) => [e.kind, e.size])).toEqual([
        ['data', 65536],
        ['data', 65536],
        ['data', 65536],
        ['data', 65536],
        ['filemark', 0],
        ['eod', 0],
      ]);
      // Back over the filemark (tgt stops a block short; the drive corrects it), then back over the four blocks.
      await drive.spaceFilemarks(-1);
      expect((await drive.readBlock()).kind).toBe('filemark');
      await drive.spaceFilemarks(-1);
      await drive.spaceBlocks(-4);
      const parts: Buffer[] = [];
      for (let i = 0; i < 4; i++) {
        const r = await drive.readBlock();
        if (r.kind === 'data') parts.push(r.data);
      }
      expect(Buffer.concat(parts).equals(data)).toBe(true);
    } finally {
      await drive.setBlockSize(0);
    }
    expect(drive.blockSize).toBe(0);
  });

  it('refuses to write when the position is unknown', async () => {
    await drive.spaceToEndOfData();
    await drive.spaceFilemarks(-1).catch(() => {});
    // After spacing backwards from an unknown place, nothing is known: writing must be refused.
    await expect(drive.writeBlock(Buffer.alloc(10))).rejects.toMatchObject({ code: 'TAPIR_E_DEVICE' });
  });
});
