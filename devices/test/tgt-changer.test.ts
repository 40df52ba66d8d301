import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTapirError, type TapirError } from '@tapir/sdk';
import { discoverTargets, IscsiTransport, isCleaningCartridge, MediaChanger, TapeDrive } from '../src/index.js';
import { startVtl, type Vtl } from '../../test/tgt/vtl.js';

let vtl: Vtl;
let transport: IscsiTransport;
let changer: MediaChanger;

beforeAll(async () => {
  vtl = await startVtl();
  transport = await IscsiTransport.connect(vtl.url);
  changer = await MediaChanger.open(transport, vtl.changerLun, { name: 'changer0' });
});

afterAll(async () => {
  await transport?.close();
  await vtl?.stop();
});

async function failure(promise: Promise<unknown>): Promise<TapirError> {
  try {
    await promise;
  } catch (err) {
    if (isTapirError(err)) return err;
    throw err;
  }
  throw new Error('expected a failure');
}

describe('tgt VTL: discovery and identity', () => {
  it('finds the target with SendTargets', async () => {
    const targets = await discoverTargets({ host: vtl.host, port: vtl.port });
    expect(targets.map((t) => t.name)).toEqual([vtl.targetName]);
    expect(targets[0]!.portals[0]).toMatchObject({ host: '127.0.0.1', port: vtl.port });
  });

  it('reports the same LUN types as libiscsi (iscsi-ls)', async () => {
    const listing = execFileSync('iscsi-ls', ['-s', `iscsi://127.0.0.1:${vtl.port}`], { encoding: 'utf8' });
    expect(listing).toMatch(/Lun:1\s+Type:SEQUENTIAL_ACCESS/);
    expect(listing).toMatch(/Lun:2\s+Type:SEQUENTIAL_ACCESS/);
    expect(listing).toMatch(/Lun:3\s+Type:MEDIA_CHANGER/);
    expect(changer.identity).toMatchObject({ vendor: 'IET', product: 'VIRTUAL-CHANGER', deviceType: 8 });
    expect(changer.quirks.name).toBe('tgt');
    const drive = await TapeDrive.open(transport, 1);
    expect(drive.identity).toMatchObject({ vendor: 'IET', product: 'VIRTUAL-TAPE', deviceType: 1 });
    const inq = execFileSync('iscsi-inq', ['-e', '1', '-c', '128', `${vtl.url}/1`], { encoding: 'utf8' });
    expect(inq).toContain(drive.identity.serial);
    expect(drive.capabilities).toMatchObject({ locate: false, erase: false, readPosition: false, moveMedium: false });
    expect(changer.capabilities.moveMedium).toBe(true);
  });
});

describe('tgt VTL: inventory', () => {
  it('lists exactly the configured tapes, barcodes, drives and import/export slot', async () => {
    const inv = await changer.inventory();
    expect(await changer.elementAddresses()).toEqual({
      transport: { first: 5, count: 1 },
      storage: { first: 10, count: 8 },
      importExport: { first: 8, count: 1 },
      dataTransfer: { first: 1, count: 2 },
    });
    expect(inv.slots.map((s) => [s.address, s.full, s.barcode])).toEqual([
      ...vtl.tapes.map((t) => [t.slot, true, t.barcode]),
      [17, false, undefined],
    ]);
    expect(inv.drives.map((d) => [d.address, d.full])).toEqual([
      [1, false],
      [2, false],
    ]);
    expect(inv.importExport.map((e) => [e.address, e.full])).toEqual([[8, false]]);
    expect(inv.transports.map((e) => e.address)).toEqual([5]);
    expect(inv.slots.filter((s) => s.full && isCleaningCartridge(s)).map((s) => s.barcode)).toEqual(['CLN001L1']);
  });
});

describe('tgt VTL: moves', () => {
  it('slot → drive → slot, with the drive becoming ready and empty again', async () => {
    const drive = await TapeDrive.open(transport, 1, { name: 'drive0' });
    expect(await drive.ready()).not.toBe('ready');
    await changer.move(10, 1);
    let inv = await changer.inventory();
    expect(inv.slots.find((s) => s.address === 10)!.full).toBe(false);
    expect(inv.drives.find((d) => d.address === 1)).toMatchObject({ full: true, barcode: 'TAPE0001L6' });
    await drive.waitReady(10_000);
    expect(drive.position).toEqual({ file: 0, block: 0, atEndOfData: false });

    await drive.unload();
    await changer.move(1, 17);
    inv = await changer.inventory();
    expect(inv.drives.find((d) => d.address === 1)!.full).toBe(false);
    expect(inv.slots.find((s) => s.address === 17)).toMatchObject({ full: true, barcode: 'TAPE0001L6' });
    expect(await drive.ready()).not.toBe('ready');
    expect(drive.loaded).toBe(false);

    await changer.move(17, 10);
    expect((await changer.find('TAPE0001L6'))?.address).toBe(10);
  });

  it('slot → import/export slot → slot', async () => {
    await changer.move(16, 8);
    expect((await changer.find('CLN001L1'))?.address).toBe(8);
    await changer.move(8, 16);
    expect((await changer.find('CLN001L1'))?.address).toBe(16);
  });

  it('moving into a full element names it and the condition', async () => {
    const err = await failure(changer.move(11, 12));
    expect(err.code).toBe('TAPIR_E_ELEMENT_FULL');
    expect(err.context).toMatchObject({ element: 12, device: 'changer0', asc: 0x3b, ascq: 0x0d });
    expect(err.message).toContain('slot 12 is full');
    expect(String(err.context.sense)).toContain('medium destination element full');
    expect((await changer.find('TAPE0002L6'))?.address).toBe(11);
  });

  it('moving out of an empty element names it and the condition', async () => {
    const err = await failure(changer.move(17, 1));
    expect(err.code).toBe('TAPIR_E_ELEMENT_EMPTY');
    expect(err.context).toMatchObject({ element: 17, asc: 0x3b, ascq: 0x0e });
    expect(err.message).toContain('slot 17 is empty');
  });

  it('an address that does not exist is a device error naming the command', async () => {
    const err = await failure(changer.move(10, 999));
    expect(err.code).toBe('TAPIR_E_DEVICE');
    expect(err.message).toContain('MOVE MEDIUM');
    expect(err.context.senseKey).toBe(5);
  });
});

describe('tgt VTL: drive mapping', () => {
  it('maps by device identifier where the changer reports it whole, by configuration otherwise', async () => {
    const d1 = await TapeDrive.open(transport, 1);
    const d2 = await TapeDrive.open(transport, 2);
    expect(d1.identity.serial).not.toBe(d2.identity.serial);
    await changer.inventory();
    expect(await changer.driveElementFor(d1.identity.serial)).toBe(1);
    // tgt cuts the last drive's identifier short, so only configuration can place it.
    expect((await failure(changer.driveElementFor(d2.identity.serial))).code).toBe('TAPIR_E_NOT_FOUND');
    const configured = await MediaChanger.open(transport, vtl.changerLun, {
      drives: { 1: d1.identity.serial, 2: d2.identity.serial },
    });
    expect(await configured.driveElementFor(d2.identity.serial)).toBe(2);
  });
});
