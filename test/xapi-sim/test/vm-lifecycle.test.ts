import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startXapiSimulator, type XapiSimulator } from '../src/index.js';
import { call, login, RpcError } from './support/xapi-client.js';
import type { Json } from './support/xapi-client.js';

const PASSWORD = 'pw';
const MiB = 1024 * 1024;
let sim: XapiSimulator;
let session: string;

beforeAll(async () => {
  sim = await startXapiSimulator({
    password: PASSWORD,
    vms: [
      { name: 'app', disks: [{ sizeBytes: 2 * MiB }, { sizeBytes: 2 * MiB }] },
      { name: 'idle', powerState: 'Halted', disks: [{ sizeBytes: MiB }] },
      { name: 'pinned', host: 1, disks: [{ sizeBytes: MiB, sr: 'local' }] },
      { name: 'mover', disks: [{ sizeBytes: MiB }] },
    ],
  });
  session = await login(sim.url, PASSWORD);
});
afterAll(() => sim.stop());

async function apiError(promise: Promise<unknown>): Promise<RpcError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof RpcError) return error;
    throw error;
  }
  throw new Error('expected an API error');
}

const vm = (name: string): string => sim.state.vm(name).ref;
const get = (field: string, ref: string): Promise<Json> => call(sim.url, `VM.get_${field}`, session, ref);

describe('power states', () => {
  it('clean_shutdown then start, with VM_BAD_POWER_STATE [vm, expected, actual] in the wrong state', async () => {
    await call(sim.url, 'VM.clean_shutdown', session, vm('app'));
    expect(await get('power_state', vm('app'))).toBe('Halted');
    expect(await get('resident_on', vm('app'))).toBe('OpaqueRef:NULL');
    expect(await apiError(call(sim.url, 'VM.clean_shutdown', session, vm('app')))).toMatchObject({
      code: 'VM_BAD_POWER_STATE',
      params: [vm('app'), 'running', 'halted'],
    });
    await call(sim.url, 'VM.start', session, vm('app'), false, false);
    expect(await get('power_state', vm('app'))).toBe('Running');
    const vbds: string[] = await get('VBDs', vm('app'));
    expect(await call(sim.url, 'VBD.get_currently_attached', session, vbds[0])).toBe(true);
  });

  it('honours blocked_operations', async () => {
    await call(sim.url, 'VM.add_to_blocked_operations', session, vm('idle'), 'start', 'replica');
    expect((await apiError(call(sim.url, 'VM.start', session, vm('idle'), false, false))).code).toBe(
      'OPERATION_BLOCKED',
    );
    await call(sim.url, 'VM.remove_from_blocked_operations', session, vm('idle'), 'start');
  });
});

describe('snapshots', () => {
  it('snapshot copies every disk, keeps MACs, and ignore_vdis leaves disks out', async () => {
    const disks = sim.state.vmDisks('app');
    await sim.state.writeGuestDisk('app', 0, 0, Buffer.from('before snapshot'));
    const snap = await call(sim.url, 'VM.snapshot', session, vm('app'), 'snap');
    expect(await get('is_a_snapshot', snap)).toBe(true);
    expect(await get('snapshot_of', snap)).toBe(vm('app'));
    expect(await get('snapshots', vm('app'))).toContain(snap);
    const snapDisks = sim.state.vmDisks(snap);
    expect(await Promise.all(snapDisks.map((d) => d.disk.sha256()))).toEqual(
      await Promise.all(disks.map((d) => d.disk.sha256())),
    );
    await sim.state.writeGuestDisk('app', 0, 0, Buffer.from('after snapshot!'));
    expect(await snapDisks[0]!.disk.sha256()).not.toBe(await disks[0]!.disk.sha256());

    const partial = await call(sim.url, 'VM.snapshot', session, vm('app'), 'partial', [disks[1]!.vdiRef]);
    expect(sim.state.vmDisks(partial)).toHaveLength(1);
    const macs = async (ref: string): Promise<string[]> =>
      Promise.all(((await get('VIFs', ref)) as string[]).map((v) => call(sim.url, 'VIF.get_MAC', session, v)));
    expect(await macs(snap)).toEqual(await macs(vm('app')));

    await call(sim.url, 'VM.destroy', session, snap);
    expect(await get('snapshots', vm('app'))).not.toContain(snap);
    for (const d of snapDisks) await call(sim.url, 'VDI.destroy', session, d.vdiRef);
  });

  it('answers MESSAGE_PARAMETER_COUNT_MISMATCH for ignore_vdis on an older host', async () => {
    const old = await startXapiSimulator({
      password: 'x',
      hosts: 1,
      snapshotIgnoreVdis: false,
      vms: [{ name: 'v', disks: [{ sizeBytes: MiB }] }],
    });
    try {
      const s = await login(old.url, 'x');
      const error = await apiError(call(old.url, 'VM.snapshot', s, old.state.vm('v').ref, 'n', []));
      expect(error).toMatchObject({ code: 'MESSAGE_PARAMETER_COUNT_MISMATCH', params: ['VM.snapshot', '3', '4'] });
      expect(await call(old.url, 'VM.snapshot', s, old.state.vm('v').ref, 'n')).toMatch(/^OpaqueRef:/);
    } finally {
      await old.stop();
    }
  });

  it('checkpoint needs a running VM and yields a suspended snapshot with a suspend VDI', async () => {
    expect((await apiError(call(sim.url, 'VM.checkpoint', session, vm('idle'), 'cp'))).params).toEqual([
      vm('idle'),
      'running',
      'halted',
    ]);
    const cp = await call(sim.url, 'VM.checkpoint', session, vm('app'), 'cp');
    expect(await get('power_state', cp)).toBe('Suspended');
    const suspend = await get('suspend_VDI', cp);
    expect(await call(sim.url, 'VDI.get_type', session, suspend)).toBe('suspend');
  });

  it('snapshot_with_quiesce works, then answers MESSAGE_REMOVED once the host removed it', async () => {
    expect(await call(sim.url, 'VM.snapshot_with_quiesce', session, vm('app'), 'q')).toMatch(/^OpaqueRef:/);
    sim.inject({ kind: 'quiesce', behaviour: 'MESSAGE_REMOVED' });
    expect(await apiError(call(sim.url, 'VM.snapshot_with_quiesce', session, vm('app'), 'q'))).toMatchObject({
      code: 'MESSAGE_REMOVED',
      params: [],
    });
    sim.inject({ kind: 'quiesce', behaviour: 'VM_SNAPSHOT_WITH_QUIESCE_FAILED' });
    expect((await apiError(call(sim.url, 'VM.snapshot_with_quiesce', session, vm('app'), 'q'))).code).toBe(
      'VM_SNAPSHOT_WITH_QUIESCE_FAILED',
    );
    sim.inject({ kind: 'quiesce', behaviour: 'supported' });
  });

  it('clone gives independent disks', async () => {
    const clone = await call(sim.url, 'VM.clone', session, vm('idle'), 'idle copy');
    expect(await get('is_a_snapshot', clone)).toBe(false);
    const [source] = sim.state.vmDisks('idle');
    const [copy] = sim.state.vmDisks(clone);
    expect(await copy!.disk.sha256()).toBe(await source!.disk.sha256());
    expect(copy!.vdiRef).not.toBe(source!.vdiRef);
  });
});

describe('pool_migrate', () => {
  it('moves a running VM between hosts and refuses one on a local SR', async () => {
    const hosts: string[] = await call(sim.url, 'host.get_all', session);
    const before = await get('resident_on', vm('mover'));
    const other = hosts.find((h) => h !== before)!;
    await call(sim.url, 'VM.pool_migrate', session, vm('mover'), other, {});
    expect(await get('resident_on', vm('mover'))).toBe(other);
    expect(await call(sim.url, 'host.get_resident_VMs', session, other)).toContain(vm('mover'));
    expect(await call(sim.url, 'host.get_resident_VMs', session, before)).not.toContain(vm('mover'));
    const pinnedOn = await get('resident_on', vm('pinned'));
    expect(
      (
        await apiError(
          call(
            sim.url,
            'VM.pool_migrate',
            session,
            vm('pinned'),
            hosts.find((h) => h !== pinnedOn),
            {},
          ),
        )
      ).code,
    ).toBe('VM_REQUIRES_SR');
  });

  it('migrates a VM between two calls when injected', async () => {
    const first = await get('resident_on', vm('mover'));
    const hosts: string[] = await call(sim.url, 'host.get_all', session);
    const target = hosts.find((h) => h !== first)!;
    sim.inject({
      kind: 'vm-migrates',
      vm: 'mover',
      toHost: sim.state.pool.hosts.findIndex((h) => h.ref === target),
      afterCalls: 2,
    });
    expect(await get('resident_on', vm('mover'))).toBe(first); // first call: not yet
    expect(await get('resident_on', vm('mover'))).toBe(target); // moved before the second
  });
});
