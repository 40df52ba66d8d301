import { afterAll, beforeAll, expect, it } from 'vitest';
import { IscsiTransport, MediaChanger, TapeDrive, type EarlyWarning } from '../src/index.js';
import { startVtl, type Vtl } from '../../test/tgt/vtl.js';
import { makeBlock, sha256 } from './support/blocks.js';

const BARCODE = 'TAPE0003L6';
const SLOT = 12;
const BLOCK = 64 * 1024;
// tgt's tape file layout: a 48-byte BOT header and a 1104-byte MAM, then a 48-byte header per block.
const TAPE_FILE_HEADER = 48 + 1104;
const BLOCK_HEADER = 48;

let vtl: Vtl;
let transport: IscsiTransport;
let drive: TapeDrive;

beforeAll(async () => {
  vtl = await startVtl({ tapeSizes: { [BARCODE]: 1 } });
  transport = await IscsiTransport.connect(vtl.url);
  const changer = await MediaChanger.open(transport, vtl.changerLun);
  drive = await TapeDrive.open(transport, vtl.driveLuns[1], { name: 'drive1' });
  await changer.move(SLOT, 2);
  await drive.waitReady(10_000);
});

afterAll(async () => {
  await transport?.close();
  await vtl?.stop();
});

it('on a 1 MB tape, raises early warning once as an event and loses nothing written before or after it', async () => {
  const warnings: EarlyWarning[] = [];
  drive.on('early-warning', (w) => warnings.push(w));
  const results: boolean[] = [];
  for (let i = 0; i < 24; i++) results.push((await drive.writeBlock(makeBlock(BLOCK, i))).earlyWarning);
  await drive.writeFilemarks(1);

  // tgt warns once the data written runs past the capacity of 1 MiB (its --size is in MiB).
  const firstWarned = results.indexOf(true);
  const expectedFirst = Array.from({ length: 24 }, (_, i) => i).find(
    (i) => TAPE_FILE_HEADER + (i + 1) * (BLOCK + BLOCK_HEADER) > 1 << 20,
  );
  expect(firstWarned).toBe(expectedFirst);
  expect(results.slice(0, firstWarned).every((w) => !w)).toBe(true);
  expect(results.slice(firstWarned).every((w) => w)).toBe(true);
  expect(warnings).toEqual([{ device: 'drive1', file: 0, block: firstWarned + 1 }]);

  const image = await vtl.show(BARCODE);
  expect(image.filter((e) => e.kind === 'data')).toHaveLength(24);
  await drive.rewind();
  for (let i = 0; i < 24; i++) {
    const r = await drive.readBlock(BLOCK);
    expect(r.kind).toBe('data');
    if (r.kind === 'data') expect(sha256(r.data)).toBe(sha256(makeBlock(BLOCK, i)));
  }
  expect((await drive.readBlock(BLOCK)).kind).toBe('filemark');
});
