/**
 * `tapir device …` as a real process against a private tgt VTL (test/tgt/vtl.ts): drives 1–2 (LUNs 1–2), picker 5,
 * import/export 8, slots 10–17 (TAPE0001L6…TAPE0006L6, CLN001L1, empty), changer LUN 3.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, scratch } from '../helpers/cli.js';
import { startVtl, type Vtl } from '../tgt/vtl.js';

let vtl: Vtl;
let work: Awaited<ReturnType<typeof scratch>>;
let config: string;
let changerUrl: string;

const tapir = (...args: string[]) => cli([...args, '--config', config], { home: work.home });

beforeAll(async () => {
  vtl = await startVtl();
  work = await scratch('tapir-devices-cli-');
  await mkdir(work.home, { recursive: true });
  changerUrl = `${vtl.url}/${vtl.changerLun}`;
  config = join(work.dir, 'tapir.yaml');
  // Drive 2's identifier is truncated by tgt, so only the configuration can map it.
  await writeFile(
    config,
    [
      'version: 1',
      'devices:',
      '  lib1:',
      '    kind: iscsi-changer',
      `    url: ${vtl.url}`,
      `    lun: ${vtl.changerLun}`,
      '    drives:',
      "      '1': drive1",
      `      '2': { lun: 2 }`,
      '  drive1:',
      '    kind: iscsi-tape',
      `    url: ${vtl.url}/1`,
      '',
    ].join('\n'),
  );
});

afterAll(async () => {
  await vtl?.stop();
  await work?.dispose();
});

describe('tapir device scan', () => {
  it('lists every LUN of the target with its type, identity and serial', async () => {
    const r = await tapir('device', 'scan', vtl.url, '--json');
    expect(r.code, r.stderr).toBe(0);
    const units = r.json.targets[0].units as Array<Record<string, unknown>>;
    expect(units.map((u) => [u.lun, u.type, u.vendor, u.product])).toEqual([
      [0, 'controller', 'IET', 'Controller'],
      [1, 'tape', 'IET', 'VIRTUAL-TAPE'],
      [2, 'tape', 'IET', 'VIRTUAL-TAPE'],
      [3, 'changer', 'IET', 'VIRTUAL-CHANGER'],
    ]);
    expect(units.every((u) => typeof u.serial === 'string' && (u.serial as string).length > 0)).toBe(true);
    expect((units[1]!.identifiers as unknown[]).length).toBeGreaterThan(0);
  });

  it('discovers the target when the URL names only the portal', async () => {
    const r = await tapir('device', 'scan', `iscsi://127.0.0.1:${vtl.port}`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(vtl.targetName);
    expect(r.stdout).toMatch(/^3\s+changer\s+IET\s+VIRTUAL-CHANGER/m);
  });

  it('an unreachable portal fails quickly with TAPIR_E_DEVICE_CONNECTION naming the URL', async () => {
    const port = await closedPort();
    const url = `iscsi://127.0.0.1:${port}/iqn.2026-11.test:none`;
    const started = Date.now();
    const r = await tapir('device', 'inventory', `${url}/3`);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('TAPIR_E_DEVICE_CONNECTION');
    expect(r.stderr).toContain(`iscsi://127.0.0.1:${port}`);
    const j = await tapir('device', 'scan', `iscsi://127.0.0.1:${port}`, '--json');
    expect(j.code).toBe(1);
    expect(j.json.error.code).toBe('TAPIR_E_DEVICE_CONNECTION');
    expect(j.json.error.message).toContain(`iscsi://127.0.0.1:${port}`);
  });
});

describe('tapir device inventory', () => {
  it('lists exactly the barcodes the VTL was configured with, and the drive mapping', async () => {
    const r = await tapir('device', 'inventory', changerUrl, '--json');
    expect(r.code, r.stderr).toBe(0);
    const slots = r.json.slots as Array<{ address: number; ref: string; full: boolean; barcode?: string }>;
    expect(slots.filter((s) => s.full).map((s) => [s.address, s.barcode])).toEqual(
      vtl.tapes.map((t) => [t.slot, t.barcode]),
    );
    expect(slots.map((s) => s.ref)).toEqual([
      'slot:1',
      'slot:2',
      'slot:3',
      'slot:4',
      'slot:5',
      'slot:6',
      'slot:7',
      'slot:8',
    ]);
    expect(slots.find((s) => s.address === 17)!.full).toBe(false);
    expect(r.json.drives.map((d: { address: number; full: boolean }) => [d.address, d.full])).toEqual([
      [1, false],
      [2, false],
    ]);
    expect(r.json.importExport.map((e: { address: number }) => e.address)).toEqual([8]);
    expect(r.json.pickers.map((e: { address: number }) => e.address)).toEqual([5]);
    // By URL, drive 1 is matched by serial number (tgt truncates drive 2's identifier).
    expect(r.json.drives[0].drive).toMatchObject({ lun: 1, mappedBy: 'serial' });
  });

  it('uses the configured changer by name, or the only one without a name', async () => {
    const named = await tapir('device', 'inventory', 'lib1', '--json');
    expect(named.code, named.stderr).toBe(0);
    expect(named.json.changer).toBe('lib1');
    expect(
      named.json.drives.map((d: { drive: { lun: number; mappedBy: string } }) => [d.drive.lun, d.drive.mappedBy]),
    ).toEqual([
      [1, 'configuration'],
      [2, 'configuration'],
    ]);
    const bare = await tapir('device', 'inventory');
    expect(bare.code, bare.stderr).toBe(0);
    expect(bare.stdout).toMatch(/^slot:1\s+10\s+full\s+TAPE0001L6/m);
    expect(bare.stdout).toMatch(/^slot:7\s+16\s+full\s+CLN001L1\s+cleaning/m);
  });

  it('an unknown name is an error that lists the configured devices', async () => {
    const r = await tapir('device', 'inventory', 'lib9');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no device named lib9');
    expect(r.stderr).toContain('lib1');
  });
});

describe('tapir device move / load / status / unload', () => {
  it('moves slot → drive → slot, and a move into a full element fails naming it', async () => {
    let r = await tapir('device', 'move', 'slot:1', 'drive:1', '--changer', changerUrl, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({
      from: { address: 10, ref: 'slot:1' },
      to: { address: 1, ref: 'drive:1' },
      barcode: 'TAPE0001L6',
    });

    r = await tapir('device', 'move', 'slot:2', '1', '--changer', changerUrl);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('TAPIR_E_ELEMENT_FULL');
    expect(r.stderr).toContain('drive 1 (drive:1) is full (holds TAPE0001L6)');

    r = await tapir('device', 'move', '1', '10', '--changer', changerUrl);
    expect(r.code, r.stderr).toBe(0);
    const inv = await tapir('device', 'inventory', changerUrl, '--json');
    expect(inv.json.slots[0]).toMatchObject({ address: 10, full: true, barcode: 'TAPE0001L6' });
    expect(inv.json.drives[0].full).toBe(false);
  });

  it('a move out of an empty element, or to an element that does not exist, names it', async () => {
    let r = await tapir('device', 'move', 'slot:8', 'drive:1', '--changer', changerUrl, '--json');
    expect(r.code).toBe(1);
    expect(r.json.error).toMatchObject({
      code: 'TAPIR_E_ELEMENT_EMPTY',
      context: { element: 17, elementRef: 'slot:8' },
    });
    r = await tapir('device', 'move', 'slot:9', 'drive:1', '--changer', changerUrl);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('TAPIR_E_ELEMENT_INVALID');
    expect(r.stderr).toContain('slot:9');
  });

  it('load by barcode into a configured changer, status shows it, unload returns it home', async () => {
    let r = await tapir('device', 'load', 'TAPE0003L6', '--drive', 'drive:2', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ from: { address: 12 }, to: { address: 2 }, barcode: 'TAPE0003L6', ready: true });

    r = await tapir('device', 'status', 'lib1/drive:2', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({
      lun: 2,
      state: 'ready',
      loaded: true,
      barcode: 'TAPE0003L6',
      blockSize: 0,
      writeProtected: false,
    });
    expect(r.json.blockLimits.maximum).toBeGreaterThan(0);

    r = await tapir('device', 'unload', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ from: { address: 2 }, to: { address: 12, ref: 'slot:3' }, barcode: 'TAPE0003L6' });

    r = await tapir('device', 'status', `${vtl.url}/2`, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ state: 'no-medium', loaded: false });
    expect(r.json.sense).toContain('3A/00');
  });

  it('load into the first empty drive by default, unload to a given slot and back', async () => {
    let r = await tapir('device', 'load', 'slot:4');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('into drive:1');
    r = await tapir('device', 'status', 'drive1');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/barcode:\s+TAPE0004L6/);
    r = await tapir('device', 'unload', '--drive', 'drive:1', '--to', 'ie:1');
    expect(r.code, r.stderr).toBe(0);
    r = await tapir('device', 'move', 'ie:1', 'slot:4');
    expect(r.code, r.stderr).toBe(0);
    const inv = await tapir('device', 'inventory', '--json');
    expect(inv.json.slots.filter((s: { full: boolean }) => s.full).map((s: { barcode: string }) => s.barcode)).toEqual(
      vtl.tapes.map((t) => t.barcode),
    );
  });

  it('unload with no loaded drive says so', async () => {
    const r = await tapir('device', 'unload');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('TAPIR_E_ELEMENT_EMPTY');
  });

  it('every command has --help with examples', async () => {
    for (const cmd of ['scan', 'inventory', 'move', 'load', 'unload', 'status']) {
      const r = await cli(['device', cmd, '--help'], { home: work.home });
      expect(r.code, cmd).toBe(0);
      expect(r.stdout, cmd).toContain('EXAMPLES');
    }
  });
});

/** A loopback port with nothing listening. */
async function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
