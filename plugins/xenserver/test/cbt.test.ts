import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startXapiSimulator, type XapiSimulator } from '../../../test/xapi-sim/src/index.js';
import { call, login } from '../../../test/xapi-sim/test/support/xapi-client.js';
import { XenServerSource } from '../src/index.js';
import {
  type Collected,
  collect,
  content,
  MiB,
  presentBlocks,
  runContext,
  scratch,
  sha256,
  vhdToRaw,
} from './harness.js';

const PASSWORD = 'pw';
const SIZE = 16 * MiB;
let sim: XapiSimulator;
let dir: Awaited<ReturnType<typeof scratch>>;

beforeAll(async () => {
  sim = await startXapiSimulator({
    password: PASSWORD,
    vms: [{ name: 'db', disks: [{ sizeBytes: SIZE, content: content(SIZE, 7) }] }],
  });
  dir = await scratch();
});
afterAll(async () => {
  await sim?.stop();
  await dir?.dispose();
});

const backup = async (parent: Collected[] = [], job = 'cbt') => {
  const ctx = runContext(job);
  const source = await XenServerSource.open({ url: sim.url, password: PASSWORD, vm: 'db', format: 'vhd' });
  return { items: await collect(source, ctx, parent), ctx };
};
const diskSha = async () => {
  const disk = sim.state.vmDisks('db')[0]!.disk;
  return sha256(await disk.read(0, disk.size));
};
const snapshots = () => sim.state.vms().filter(([, r]) => r['is_a_snapshot'] === true);
/** The VHD links of disk 0, oldest first, with their data (referenced ones from the parent). */
const chainOf = (items: Collected[]) => items.filter((i) => i.path.includes('/disk-0.')).map((i) => i.data!);

describe('CBT incrementals (VHD)', () => {
  let first: Collected[];
  let second: Collected[];

  it('a first run stores a full VHD, enables CBT and keeps one base snapshot', async () => {
    const { items, ctx } = await backup();
    first = items;
    expect(items.map((i) => i.path.split('/').pop())).toEqual(['vm.json', 'disk-0.000000.vhd']);
    expect(items[1]!.changeToken).toMatch(/^xen-vhd:/);
    expect(sha256(await vhdToRaw(dir.path, chainOf(items)))).toBe(await diskSha());
    expect(sim.state.vmDisks('db')[0]!.disk).toBeDefined();
    expect(snapshots()).toHaveLength(1);
    expect(ctx.log.lines.join('\n')).toMatch(
      /full VHD export because changed-block tracking was off on this disk \(first run/,
    );
  });

  it('after 3 changed blocks the incremental stores only those blocks, and the chain gives the new content', async () => {
    for (const block of [1, 4, 6])
      await sim.state.writeGuestDisk('db', 0, block * 2 * MiB + 4096, content(8192, block));
    const { items, ctx } = await backup(first);
    second = items;
    expect(items.map((i) => [i.path.split('/').pop(), i.referenced])).toEqual([
      ['vm.json', false],
      ['disk-0.000000.vhd', true],
      ['disk-0.000001.vhd', false],
    ]);
    expect(presentBlocks(items[2]!.data!)).toEqual([1, 4, 6]);
    expect(items[2]!.data!.length).toBeLessThan(7 * MiB);
    expect(sha256(await vhdToRaw(dir.path, chainOf(items)))).toBe(await diskSha());
    expect(snapshots()).toHaveLength(1);
    expect(ctx.log.lines.join('\n')).toMatch(/delta from base snapshot .*, 3 changed 64 KiB blocks/);
  });

  it('a run whose parent lacks the chain (a full run) stores a full in place of the first link', async () => {
    await sim.state.writeGuestDisk('db', 0, 0, content(4096, 99));
    const { items } = await backup([]);
    expect(items.map((i) => [i.path.split('/').pop(), i.referenced])).toEqual([
      ['vm.json', false],
      ['disk-0.000000.vhd', false],
    ]);
    expect(sha256(await vhdToRaw(dir.path, chainOf(items)))).toBe(await diskSha());
    // …and the next incremental builds on it.
    await sim.state.writeGuestDisk('db', 0, 10 * MiB, content(4096, 100));
    const next = await backup(items);
    expect(next.items.map((i) => i.referenced)).toEqual([false, true, false]);
    expect(presentBlocks(next.items[2]!.data!)).toEqual([5]);
    expect(sha256(await vhdToRaw(dir.path, chainOf(next.items)))).toBe(await diskSha());
    second = next.items;
  });

  it('a parent one run behind (its last save set failed) gets a full at the missing link', async () => {
    await sim.state.writeGuestDisk('db', 0, 3 * MiB, content(4096, 5));
    const { items } = await backup(second.slice(0, 2)); // the parent holds link 0 only
    expect(items.map((i) => [i.path.split('/').pop(), i.referenced])).toEqual([
      ['vm.json', false],
      ['disk-0.000000.vhd', true],
      ['disk-0.000001.vhd', false],
    ]);
    // link 1 is a full VHD (type 3): restoring the chain gives the current disk
    expect(items[2]!.data!.readUInt32BE(60)).toBe(3);
    expect(sha256(await vhdToRaw(dir.path, [items[2]!.data!]))).toBe(await diskSha());
    second = items;
  });

  it('falls back to a full, saying why, when CBT was disabled on the disk', async () => {
    await call(sim.url, 'VDI.disable_cbt', await login(sim.url, PASSWORD), sim.state.vmDisks('db')[0]!.vdiRef);
    await sim.state.writeGuestDisk('db', 0, 0, content(4096, 6));
    const { items, ctx } = await backup(second);
    expect(items.map((i) => i.path.split('/').pop())).toEqual(['vm.json', 'disk-0.000000.vhd']);
    expect(items[1]!.referenced).toBe(false);
    expect(items[1]!.changeToken).not.toBe(second[1]!.changeToken);
    expect(ctx.log.lines.join('\n')).toMatch(/full VHD export because changed-block tracking was off/);
    expect(sha256(await vhdToRaw(dir.path, chainOf(items)))).toBe(await diskSha());
    expect(snapshots()).toHaveLength(1);
  });

  it('falls back to a full when the base snapshot was deleted', async () => {
    const session = await login(sim.url, PASSWORD);
    for (const [ref] of snapshots()) await call(sim.url, 'VM.destroy', session, ref);
    const { items, ctx } = await backup(second);
    expect(items[1]!.referenced).toBe(false);
    expect(ctx.log.lines.join('\n')).toMatch(/no base snapshot from an earlier run/);
  });
});
