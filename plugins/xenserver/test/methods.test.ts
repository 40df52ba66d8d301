import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startXapiSimulator, type XapiSimulator } from '../../../test/xapi-sim/src/index.js';
import { XenServerSource } from '../src/index.js';
import { collect, content, MiB, runContext, scratch, sha256, vhdToRaw, xvaDiskHashes } from './harness.js';

const PASSWORD = 'sekrit-pw';
const DISK0 = content(8 * MiB, 1);
const DISK1 = content(4 * MiB, 2);
let sim: XapiSimulator;
let dir: Awaited<ReturnType<typeof scratch>>;

beforeAll(async () => {
  sim = await startXapiSimulator({
    password: PASSWORD,
    vms: [
      {
        name: 'web',
        disks: [
          { sizeBytes: DISK0.length, content: DISK0 },
          { sizeBytes: DISK1.length, content: DISK1 },
        ],
      },
      { name: 'idle', powerState: 'Halted', host: 1, disks: [{ sizeBytes: 4 * MiB, content: DISK1 }] },
    ],
  });
  dir = await scratch();
});
afterAll(async () => {
  await sim?.stop();
  await dir?.dispose();
});

const open = (vm: string, extra: Record<string, unknown> = {}) =>
  XenServerSource.open({ url: sim.url, password: PASSWORD, vm, ...extra } as never);

/** Snapshots, checkpoints and suspend images present besides the VMs' own. */
function leftovers(): string[] {
  return sim.state
    .vms()
    .filter(([, r]) => r['is_a_snapshot'] === true)
    .map(([ref]) => ref);
}

describe.each(['offline', 'live-memory', 'quiesced', 'snapshot'] as const)('method %s', (method) => {
  it('XVA: the disks in the save set equal the VM disks at capture time (SHA-256 through xva-img)', async () => {
    const ctx = runContext();
    const source = await open('web', { method, format: 'xva' });
    expect(source.object).toBe(`xenserver:${sim.state.vm('web').uuid}`);
    const items = await collect(source, ctx);
    expect(items.map((i) => i.path)).toEqual([
      `vms/${sim.state.vm('web').uuid}/vm.json`,
      `vms/${sim.state.vm('web').uuid}/vm.xva`,
    ]);
    const meta = JSON.parse(items[0]!.data!.toString());
    expect(meta.capture.method).toBe(method);
    expect(await xvaDiskHashes(dir.path, items[1]!.data!)).toEqual([sha256(DISK0), sha256(DISK1)]);
    expect(sim.state.vm('web').record['power_state']).toBe('Running');
    expect(leftovers()).toEqual([]);
    expect(ctx.log.lines.join('\n')).not.toContain(PASSWORD);
  });

  it('VHD: one VHD per disk, equal to the VM disks (SHA-256 through qemu-img)', async () => {
    const ctx = runContext(`vhd-${method}`);
    const items = await collect(await open('web', { method, format: 'vhd', cbt: false }), ctx);
    const uuid = sim.state.vm('web').uuid;
    expect(items.map((i) => i.path)).toEqual([
      `vms/${uuid}/vm.json`,
      `vms/${uuid}/disk-0.000000.vhd`,
      `vms/${uuid}/disk-1.000000.vhd`,
    ]);
    expect(sha256(await vhdToRaw(dir.path, [items[1]!.data!]))).toBe(sha256(DISK0));
    expect(sha256(await vhdToRaw(dir.path, [items[2]!.data!]))).toBe(sha256(DISK1));
    expect(sim.state.vm('web').record['power_state']).toBe('Running');
    expect(leftovers()).toEqual([]);
  });
});

describe('method fallbacks', () => {
  it('quiesced falls back to a normal snapshot with a warning when the host answers MESSAGE_REMOVED', async () => {
    sim.inject({ kind: 'quiesce', behaviour: 'MESSAGE_REMOVED' });
    try {
      const ctx = runContext();
      const items = await collect(await open('web', { method: 'quiesced' }), ctx);
      expect(ctx.warnings.map((w) => w.code)).toEqual(['XEN_QUIESCE_UNAVAILABLE']);
      expect(ctx.warnings[0]!.message).toMatch(/no longer offers quiesced snapshots/);
      expect(JSON.parse(items[0]!.data!.toString()).capture.method).toBe('snapshot');
      expect(await xvaDiskHashes(dir.path, items[1]!.data!)).toEqual([sha256(DISK0), sha256(DISK1)]);
      expect(leftovers()).toEqual([]);
    } finally {
      sim.inject({ kind: 'quiesce', behaviour: 'supported' });
    }
  });

  it('live-memory on a halted VM takes a snapshot and says so', async () => {
    const ctx = runContext();
    const items = await collect(await open('idle', { method: 'live-memory' }), ctx);
    expect(ctx.warnings.map((w) => w.code)).toEqual(['XEN_CHECKPOINT_UNAVAILABLE']);
    expect(await xvaDiskHashes(dir.path, items[1]!.data!)).toEqual([sha256(DISK1)]);
    expect(sim.state.vm('idle').record['power_state']).toBe('Halted');
  });

  it('offline leaves a halted VM halted', async () => {
    await collect(await open('idle', { method: 'offline' }), runContext());
    expect(sim.state.vm('idle').record['power_state']).toBe('Halted');
  });

  it("offline VHD without CBT exports the halted VM's own disks: no snapshot is made", async () => {
    const since = sim.state.pool.db.events.lastId;
    const items = await collect(await open('idle', { method: 'offline', format: 'vhd', cbt: false }), runContext());
    expect(sha256(await vhdToRaw(dir.path, [items[1]!.data!]))).toBe(sha256(DISK1));
    const added = sim.state.pool.db.events.after(since).filter((e) => e.operation === 'add' && e.class !== 'task');
    expect(added.map((e) => e.class)).toEqual([]);
  });

  it('finds a VM by UUID on any host', async () => {
    const uuid = sim.state.vm('idle').uuid;
    const source = await open(uuid, { format: 'vhd', cbt: false });
    const items = await collect(source, runContext());
    expect(sha256(await vhdToRaw(dir.path, [items[1]!.data!]))).toBe(sha256(DISK1));
  });
});
