/**
 * A drive that asks for cleaning: tgt never does, so a proxy in front of it (test/tgt/senseProxy.ts) answers the
 * third WRITE(6) with CHECK CONDITION, RECOVERED ERROR, 00/17 "cleaning requested" after tgt wrote the block. The
 * write must count as done, the request must be reported once, and the tape must hold every block.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { IscsiTransport, MediaChanger, TapeDrive, type CleaningRequest } from '../src/index.js';
import { startVtl, type Vtl } from '../../test/tgt/vtl.js';
import { fixedSense, startSenseProxy, type SenseProxy } from '../../test/tgt/senseProxy.js';
import { makeBlock, sha256 } from './support/blocks.js';

const BLOCK = 64 * 1024;

let vtl: Vtl;
let proxy: SenseProxy;
let transport: IscsiTransport;
let drive: TapeDrive;

beforeAll(async () => {
  vtl = await startVtl();
  proxy = await startSenseProxy(
    { host: vtl.host, port: vtl.port },
    { opcode: 0x0a, occurrences: [3, 5], sense: fixedSense(0x01, 0x00, 0x17) },
  );
  transport = await IscsiTransport.connect(proxy.url(vtl.targetName));
  const changer = await MediaChanger.open(transport, vtl.changerLun);
  drive = await TapeDrive.open(transport, vtl.driveLuns[0], { name: 'drive0' });
  await changer.move(10, 1);
  await drive.waitReady(10_000);
  await drive.rewind();
});

afterAll(async () => {
  await transport?.close();
  await proxy?.close();
  await vtl?.stop();
});

it('takes RECOVERED ERROR 00/17 on a write as written, and reports the cleaning request once', async () => {
  const requests: CleaningRequest[] = [];
  drive.on('cleaning-requested', (r) => requests.push(r));
  const blocks = Array.from({ length: 6 }, (_, i) => makeBlock(BLOCK, i));
  for (const b of blocks) expect(await drive.writeBlock(b)).toEqual({ earlyWarning: false });
  await drive.writeFilemarks(1);
  expect(proxy.injected()).toBe(2);
  expect(requests).toEqual([{ device: 'drive0', command: 'WRITE(6)' }]);
  expect(drive.cleaningRequested).toBe(true);
  expect(drive.position).toMatchObject({ file: 1, block: 0 });

  // tgt holds all six blocks and the filemark; they read back identical.
  const image = await vtl.show('TAPE0001L6');
  expect(image.map((e) => e.kind)).toEqual(['data', 'data', 'data', 'data', 'data', 'data', 'filemark', 'eod']);
  await drive.rewind();
  for (const b of blocks) {
    const read = await drive.readBlock(2 * BLOCK);
    expect(read.kind).toBe('data');
    expect(sha256(read.kind === 'data' ? read.data : new Uint8Array())).toBe(sha256(b));
  }
  expect((await drive.readBlock(2 * BLOCK)).kind).toBe('filemark');

  // After cleaning the request is forgotten; a new one would be reported again.
  drive.cleaned();
  expect(drive.cleaningRequested).toBe(false);
});
