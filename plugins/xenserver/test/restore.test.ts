import type { ItemMeta } from '@tapir/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startXapiSimulator, type XapiSimulator } from '../../../test/xapi-sim/src/index.js';
import { call, login } from '../../../test/xapi-sim/test/support/xapi-client.js';
import { XenServerRestoreTarget, XenServerSource } from '../src/index.js';
import { type Collected, collect, content, MiB, runContext } from './harness.js';
import { sha256 } from './harness.js';

const PASSWORD = 'pw';
const DISK = content(8 * MiB, 11);
let sim: XapiSimulator;
let app: string;

beforeAll(async () => {
  sim = await startXapiSimulator({
    password: PASSWORD,
    vms: [
      { name: 'app', disks: [{ sizeBytes: DISK.length, content: DISK }] },
      // A halted VM without disks, for restoring disks into (attachTo).
      { name: 'spare', powerState: 'Halted', disks: [] },
    ],
  });
  app = sim.state.vm('app').uuid;
});
afterAll(async () => {
  await sim?.stop();
});

const backup = async (extra: Record<string, unknown>, parent: Collected[] = []) =>
  collect(
    await XenServerSource.open({ url: sim.url, password: PASSWORD, vm: app, ...extra } as never),
    runContext('restore-job'),
    parent,
  );

/** Feeds items to the restore target as tapir's restore does: data items in save-set order. */
async function restore(items: Collected[], options: Record<string, unknown> = {}) {
  const target = new XenServerRestoreTarget({ url: sim.url, password: PASSWORD, ...options } as never, runContext());
  await target.prepare();
  for (const item of items) {
    const meta = { path: item.path, type: item.type, dataSize: item.data!.length } as ItemMeta;
    await target.write(
      meta,
      (async function* () {
        for (let at = 0; at < item.data!.length; at += 256 * 1024) yield item.data!.subarray(at, at + 256 * 1024);
      })(),
    );
  }
  await target.finish();
  return target.restored;
}

const diskShaOfVm = async (key: string) => {
  const disk = sim.state.vmDisks(key)[0]!.disk;
  return sha256(await disk.read(0, disk.size));
};
const macs = (key: string) =>
  (sim.state.vm(key).record['VIFs'] as string[]).map((vif) => sim.state.pool.db.get('VIF', vif)['MAC']);

describe('xenserver restore target', () => {
  it('imports an XVA as a new VM (new UUID), halted, with the disk content of the backup', async () => {
    const items = await backup({ format: 'xva' });
    const restored = await restore(items);
    expect(restored.vms).toHaveLength(1);
    const vm = restored.vms[0]!;
    expect(vm.uuid).not.toBe(sim.state.vm(app).uuid);
    expect(sim.state.vm(vm.uuid).record).toMatchObject({
      power_state: 'Halted',
      is_a_snapshot: false,
      is_a_template: false,
    });
    expect(await diskShaOfVm(vm.uuid)).toBe(sha256(DISK));
  });

  it("gives the restored VM the backed-up VM's name, not its snapshot's, or the name asked for", async () => {
    const items = await backup({ format: 'xva', method: 'snapshot' });
    const plain = await restore(items);
    expect(sim.state.pool.db.get('VM', plain.vms[0]!.ref)['name_label']).toBe('app');
    expect(plain.vms[0]!.name).toBe('app');
    const named = await restore(items, { name: 'app (restored)' });
    expect(sim.state.pool.db.get('VM', named.vms[0]!.ref)['name_label']).toBe('app (restored)');
  });

  it('imports an XVA keeping the VM UUID and MACs (the original halted), and can start it', async () => {
    const items = await backup({ format: 'xva' });
    const original = sim.state.vm(app).uuid;
    const originalMacs = macs(original);
    const session = await login(sim.url, PASSWORD);
    await call(sim.url, 'VM.hard_shutdown', session, sim.state.vm(app).ref);
    await sim.state.writeGuestDisk(app, 0, 0, content(4096, 1234)); // damage after the backup
    const restored = await restore(items, { keepIdentity: true, start: true });
    expect(restored.vms[0]!.uuid).toBe(original);
    expect(macs(original)).toEqual(originalMacs);
    expect(sim.state.vm(original).record['power_state']).toBe('Running');
    expect(await diskShaOfVm(original)).toBe(sha256(DISK));
  });

  it('restores a VHD chain (full + CBT delta) into a new VDI equal to the disk at the incremental', async () => {
    const first = await backup({ format: 'vhd' });
    await sim.state.writeGuestDisk(app, 0, 2 * MiB, content(65536, 5));
    await sim.state.writeGuestDisk(app, 0, 6 * MiB + 512, content(4096, 6));
    const second = await backup({ format: 'vhd' }, first);
    expect(second.map((i) => i.referenced)).toEqual([false, true, false]);
    const expected = await diskShaOfVm(app);
    const restored = await restore(second.filter((i) => i.path.endsWith('.vhd')));
    expect(restored.vdis).toHaveLength(1);
    expect(restored.vdis[0]!.links).toBe(2);
    const ref = sim.state.pool.db.refByUuid('VDI', restored.vdis[0]!.uuid);
    const disk = sim.state.disk(ref);
    expect(sha256(await disk.read(0, disk.size))).toBe(expected);
  });

  it('attaches a restored VHD chain to a halted VM at its position, bootable, and refuses a position in use', async () => {
    const first = await backup({ format: 'vhd' });
    await sim.state.writeGuestDisk(app, 0, 3 * MiB, content(65536, 8));
    const second = await backup({ format: 'vhd' }, first);
    const expected = await diskShaOfVm(app);
    const vhds = second.filter((i) => i.path.endsWith('.vhd'));
    const spare = sim.state.vm('spare').uuid;

    const restored = await restore(vhds, { attachTo: 'spare' });
    expect(restored.vdis).toHaveLength(1);
    expect(restored.vdis[0]!.attachedTo).toEqual({ vm: spare, userdevice: '0' });
    const [attached] = sim.state.vmDisks('spare');
    expect(attached!.vdiRef).toBe(restored.vdis[0]!.ref);
    const vbd = (sim.state.vm('spare').record['VBDs'] as string[])
      .map((r) => sim.state.pool.db.get('VBD', r))
      .find((r) => r['VDI'] === restored.vdis[0]!.ref);
    expect(vbd).toMatchObject({ userdevice: '0', bootable: true, mode: 'RW', type: 'Disk' });
    expect(sha256(await attached!.disk.read(0, attached!.disk.size))).toBe(expected);

    // Position 0 is now taken: nothing is attached, and the new VDI is restored but left on its own.
    const target = new XenServerRestoreTarget(
      { url: sim.url, password: PASSWORD, attachTo: spare } as never,
      runContext(),
    );
    await target.prepare();
    const vdisBefore = sim.state.pool.db.all('VDI').length;
    for (const item of vhds) {
      const meta = { path: item.path, type: item.type, dataSize: item.data!.length } as ItemMeta;
      await target.write(
        meta,
        (async function* () {
          yield item.data!;
        })(),
      );
    }
    await expect(target.finish()).rejects.toMatchObject({
      code: 'TAPIR_E_RESTORE_TARGET',
      message: expect.stringMatching(/already has a device at position 0 \(Disk\).*left unattached/),
    });
    expect(sim.state.vmDisks('spare')).toHaveLength(1);
    expect(sim.state.pool.db.all('VDI').length).toBe(vdisBefore + 1);
    const loose = sim.state.pool.db.get('VDI', target.restored.vdis[0]!.ref);
    expect(loose['VBDs']).toEqual([]);
  });

  it('refuses to attach disks to a running VM, or to attach an XVA', async () => {
    const running = new XenServerRestoreTarget(
      { url: sim.url, password: PASSWORD, attachTo: app } as never,
      runContext(),
    );
    await expect(running.prepare()).rejects.toMatchObject({
      code: 'TAPIR_E_RESTORE_TARGET',
      message: expect.stringMatching(/is Running: shut it down before attaching/),
    });
    const xva = await backup({ format: 'xva' });
    await expect(restore(xva, { attachTo: 'spare' })).rejects.toMatchObject({
      code: 'TAPIR_E_RESTORE_TARGET',
      message: expect.stringMatching(/whole VM \(format: xva\)/),
    });
  });

  it('a wrong password is a clear TAPIR_E_RESTORE_TARGET', async () => {
    const target = new XenServerRestoreTarget({ url: sim.url, password: 'bad' } as never, runContext());
    await expect(target.prepare()).rejects.toMatchObject({
      code: 'TAPIR_E_RESTORE_TARGET',
      message: expect.stringMatching(/wrong user name or password/),
    });
  });
});
