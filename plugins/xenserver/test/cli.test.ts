import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startXapiSimulator, type XapiSimulator } from '../../../test/xapi-sim/src/index.js';
import { cli, scratch } from '../../../test/helpers/cli.js';
import { content, MiB, sha256, vhdToRaw } from './harness.js';

const PASSWORD = 'cli-secret-pw';
let sim: XapiSimulator;
let s: Awaited<ReturnType<typeof scratch>>;
let uuid: string;

beforeAll(async () => {
  sim = await startXapiSimulator({
    password: PASSWORD,
    vms: [{ name: 'web', disks: [{ sizeBytes: 12 * MiB, content: content(12 * MiB, 21) }] }],
  });
  uuid = sim.state.vm('web').uuid;
  s = await scratch('tapir-xen-cli-');
  await writeFile(
    join(s.dir, 'tapir.yaml'),
    `version: 1
destinations:
  local: { kind: disk, path: ${join(s.dir, 'dest')} }
jobs:
  vms:
    sources: [ { kind: xenserver, url: '${sim.url}', password: '${PASSWORD}', vm: web, format: vhd } ]
    destination: local
    transforms: [ { kind: zstd, level: 1 } ]
`,
  );
});
afterAll(async () => {
  await sim?.stop();
  await s?.dispose();
});

const run = (args: string[]) => cli([...args, '--config', join(s.dir, 'tapir.yaml')], { home: s.home });
const diskSha = async () => {
  const disk = sim.state.vmDisks('web')[0]!.disk;
  return sha256(await disk.read(0, disk.size));
};

describe('tapir job run with a xenserver source, restored with the files target', () => {
  it('full then CBT incremental: the restored VHD chain equals the VM disk each time', async () => {
    const first = await run(['job', 'run', 'vms', '--json']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.json.saveSets[0]).toMatchObject({ status: 'complete', object: `xenserver:${uuid}` });
    expect(first.stdout + first.stderr).not.toContain(PASSWORD);

    const target1 = join(s.dir, 'r1');
    const r1 = await run(['restore', first.json.saveSets[0].saveSet, '--to', target1, '--json']);
    expect(r1.code, r1.stderr).toBe(0);
    const dir1 = join(target1, 'vms', uuid);
    expect((await readdir(dir1)).sort()).toEqual(['disk-0.000000.vhd', 'vm.json']);
    expect(sha256(await vhdToRaw(s.dir, [await readFile(join(dir1, 'disk-0.000000.vhd'))]))).toBe(await diskSha());

    for (const block of [0, 3, 5]) await sim.state.writeGuestDisk('web', 0, block * 2 * MiB, content(4096, block + 1));
    const second = await run(['job', 'run', 'vms', '--json']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.json.saveSets[0]).toMatchObject({ status: 'complete', level: 'incremental' });

    const target2 = join(s.dir, 'r2');
    const r2 = await run(['restore', second.json.saveSets[0].saveSet, '--to', target2, '--json']);
    expect(r2.code, r2.stderr).toBe(0);
    const dir2 = join(target2, 'vms', uuid);
    expect((await readdir(dir2)).sort()).toEqual(['disk-0.000000.vhd', 'disk-0.000001.vhd', 'vm.json']);
    const chain = [await readFile(join(dir2, 'disk-0.000000.vhd')), await readFile(join(dir2, 'disk-0.000001.vhd'))];
    expect(chain[1]!.length).toBeLessThan(4 * 2 * MiB);
    expect(sha256(await vhdToRaw(s.dir, chain))).toBe(await diskSha());
    const meta = JSON.parse(await readFile(join(dir2, 'vm.json'), 'utf8'));
    expect(meta.vm.uuid).toBe(uuid);
  });

  it('a VDI_IO_ERROR marks the save set failed and the next run completes', async () => {
    sim.inject({ kind: 'vdi-io-error', handler: '/export_raw_vdi', afterBytes: 2048 });
    const failed = await run(['job', 'run', 'vms', '--json']);
    expect(failed.code).toBe(1);
    expect(JSON.stringify(failed.json ?? failed.stdout)).toMatch(/VDI_IO_ERROR/);
    expect(sim.state.vms().filter(([, r]) => r['is_a_snapshot'] === true)).toHaveLength(1); // the CBT base only
    const next = await run(['job', 'run', 'vms', '--json']);
    expect(next.code, next.stderr).toBe(0);
    expect(next.json.saveSets[0].status).toBe('complete');
  });
});
