import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startXapiSimulator, type XapiSimulator } from '../../../test/xapi-sim/src/index.js';
import { call, login } from '../../../test/xapi-sim/test/support/xapi-client.js';
import { cli, scratch } from '../../../test/helpers/cli.js';
import { XapiConnection } from '../src/XapiConnection.js';
import { MiB, sha256 } from './harness.js';

const PASSWORD = 'xen-vms-secret';
let sim: XapiSimulator;
let s: Awaited<ReturnType<typeof scratch>>;

beforeAll(async () => {
  sim = await startXapiSimulator({
    password: PASSWORD,
    vms: [
      { name: 'web', disks: [{ sizeBytes: 4 * MiB }, { sizeBytes: 2 * MiB, sr: 'local' }] },
      { name: 'db', powerState: 'Halted', host: 1, tags: ['prod'], disks: [{ sizeBytes: 6 * MiB }] },
    ],
  });
  s = await scratch('tapir-xen-cmd-');
});
afterAll(async () => {
  await sim?.stop();
  await s?.dispose();
});

const xen = (args: string[], env: Record<string, string> = { TAPIR_XEN_PASSWORD: PASSWORD }) =>
  cli(['xen', ...args], { home: s.home, env });

describe('tapir xen vms', () => {
  it('--json lists the VMs with power state, host and disks (password from TAPIR_XEN_PASSWORD)', async () => {
    const r = await xen(['vms', '--url', sim.url, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const web = sim.state.vm('web');
    const db = sim.state.vm('db');
    expect(r.json.vms.map((v: { name: string }) => v.name)).toEqual(['db', 'web']);
    expect(r.json.vms[0]).toMatchObject({
      uuid: db.uuid,
      powerState: 'Halted',
      host: null,
      tags: ['prod'],
      disks: [{ userdevice: '0', sizeBytes: 6 * MiB }],
    });
    const host = sim.state.pool.db.get('host', String(web.record['resident_on']))['name_label'];
    expect(r.json.vms[1]).toMatchObject({
      uuid: web.uuid,
      powerState: 'Running',
      host,
      disks: [
        { userdevice: '0', sizeBytes: 4 * MiB, uuid: sim.state.vmDisks('web')[0]!.uuid },
        { userdevice: '1', sizeBytes: 2 * MiB },
      ],
    });
  });

  it('prints a table; --name filters', async () => {
    const r = await xen(['vms', '--url', sim.url, '--password', PASSWORD, '--name', 'w*']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^UUID\s+NAME\s+POWER\s+HOST\s+DISKS$/);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(new RegExp(`^${sim.state.vm('web').uuid}\\s+web\\s+Running\\s+\\S+\\s+0:4 MiB, 1:2 MiB$`));
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
  });

  it('a wrong password: exit 1, a clear message, no secret', async () => {
    const r = await xen(['vms', '--url', sim.url], { TAPIR_XEN_PASSWORD: 'not-the-password' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /refused the login of user root: wrong user name or password \[TAPIR_E_SOURCE_UNAVAILABLE\]/,
    );
    expect(r.stdout + r.stderr).not.toContain('not-the-password');

    const json = await xen(['vms', '--url', sim.url, '--json'], { TAPIR_XEN_PASSWORD: 'not-the-password' });
    expect(json.code).toBe(1);
    expect(json.json.error).toMatchObject({ code: 'TAPIR_E_SOURCE_UNAVAILABLE' });
    expect(json.stdout + json.stderr).not.toContain('not-the-password');
  });

  it('no password at all, or an unreachable host: exit 1 with what to do', async () => {
    const none = await xen(['vms', '--url', sim.url], {});
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(
      /no XAPI password: give --password or set TAPIR_XEN_PASSWORD \[TAPIR_E_CONFIG_INVALID\]/,
    );

    const down = await xen(['vms', '--url', 'http://127.0.0.1:9'], { TAPIR_XEN_PASSWORD: PASSWORD });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/cannot reach XAPI at http:\/\/127\.0\.0\.1:9/);
  });
});

describe('tapir xen restore and tapir xen health-check', () => {
  const config = () => join(s.dir, 'tapir.yaml');
  let xva: string;
  let vhd: string;
  let webDisk: string;

  beforeAll(async () => {
    await writeFile(
      config(),
      `version: 1
destinations:
  local: { kind: disk, path: ${join(s.dir, 'dest')} }
jobs:
  xva:
    sources: [ { kind: xenserver, url: '${sim.url}', password: '${PASSWORD}', vm: web, format: xva } ]
    destination: local
  vhd:
    sources: [ { kind: xenserver, url: '${sim.url}', password: '${PASSWORD}', vm: web, format: vhd, cbt: false } ]
    destination: local
`,
    );
    const disk = sim.state.vmDisks('web')[0]!.disk;
    webDisk = sha256(await disk.read(0, disk.size));
    for (const job of ['xva', 'vhd']) {
      const backup = await cli(['job', 'run', job, '--json', '--config', config()], { home: s.home });
      expect(backup.code, backup.stderr).toBe(0);
      if (job === 'xva') xva = backup.json.saveSets[0].saveSet;
      else vhd = backup.json.saveSets[0].saveSet;
    }
  });

  const restore = (args: string[], env: Record<string, string> = { TAPIR_XEN_PASSWORD: PASSWORD }) =>
    xen([...args, '--url', sim.url, '--config', config()], env);
  const vmsNamed = (name: string) =>
    sim.state.vms().filter(([, r]) => r['name_label'] === name && r['is_a_snapshot'] !== true);
  const diskSha = async (vmRef: string) => {
    const disk = sim.state.vmDisks(vmRef)[0]!.disk;
    return sha256(await disk.read(0, disk.size));
  };
  /** Every VM, VBD, VIF and VDI of the pool, by UUID. */
  const pool = () =>
    (['VM', 'VBD', 'VIF', 'VDI'] as const).map((cls) =>
      sim.state.pool.db
        .all(cls)
        .map(([, r]) => String(r['uuid']))
        .sort(),
    );

  it('restore --json: a new halted VM named as asked, with the disk of the backup', async () => {
    const r = await restore(['restore', xva.slice(0, 8), '--name', 'web-copy', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({
      saveSet: xva,
      vms: [{ name: 'web-copy', path: `vms/${sim.state.vm('web').uuid}/vm.xva` }],
    });
    const [ref, record] = vmsNamed('web-copy')[0]!;
    expect(record).toMatchObject({ uuid: r.json.vms[0].uuid, power_state: 'Halted', is_a_template: false });
    expect(r.json.vms[0].uuid).not.toBe(sim.state.vm('web').uuid);
    expect(await diskSha(ref)).toBe(webDisk);
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
  });

  it("restore --start: the VM has the backed-up VM's name and runs; the text output says so", async () => {
    const before = vmsNamed('web').length;
    const r = await restore(['restore', xva, '--start']);
    expect(r.code, r.stderr).toBe(0);
    const restored = vmsNamed('web').filter(([, v]) => v['uuid'] !== sim.state.vm(sim.state.vm('web').ref).uuid);
    expect(vmsNamed('web')).toHaveLength(before + 1);
    const uuid = r.stdout.match(/^restored VM web \(([0-9a-f-]{36})\), started from vms\/.+\/vm\.xva$/m)?.[1];
    expect(uuid).toBeDefined();
    expect(restored.find(([, v]) => v['uuid'] === uuid)?.[1]['power_state']).toBe('Running');
  });

  it('restore --block-start: the VM cannot be started until the block is removed; with --start it is refused', async () => {
    const r = await restore(['restore', xva, '--name', 'web-replica', '--block-start', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const [ref, record] = vmsNamed('web-replica')[0]!;
    expect(record['power_state']).toBe('Halted');
    expect(record['blocked_operations']).toMatchObject({ start: expect.stringContaining('replica') });
    const conn = await XapiConnection.open(
      { url: sim.url, username: 'root', password: PASSWORD },
      'TAPIR_E_SOURCE_UNAVAILABLE',
    );
    try {
      await expect(conn.callAsync('VM.start', ref, false, false)).rejects.toMatchObject({
        context: { pluginCode: 'OPERATION_BLOCKED' },
      });
    } finally {
      await conn.close();
    }
    expect((await restore(['restore', xva, '--block-start', '--start'])).code).toBe(2);
  });

  it('restore of a VHD save set: one new VDI per disk, equal to the disks', async () => {
    const r = await restore(['restore', vhd, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.vms).toEqual([]);
    expect(r.json.vdis).toHaveLength(2);
    const disk = sim.state.disk(sim.state.pool.db.refByUuid('VDI', r.json.vdis[0].uuid));
    expect(sha256(await disk.read(0, disk.size))).toBe(webDisk);
  });

  it('restore --attach-to: the disks go into a halted VM at their positions; a position in use fails', async () => {
    // An empty halted VM, made through XAPI: a clone of db without its disks.
    const session = await login(sim.url, PASSWORD);
    const clone = await call<string>(sim.url, 'VM.clone', session, sim.state.vm('db').ref, 'recovered');
    for (const vbd of await call<string[]>(sim.url, 'VM.get_VBDs', session, clone))
      await call(sim.url, 'VBD.destroy', session, vbd);
    const recovered = sim.state.vm(clone).uuid;

    const r = await restore(['restore', vhd, '--attach-to', recovered, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.vdis.map((v: { attachedTo: unknown }) => v.attachedTo)).toEqual([
      { vm: recovered, userdevice: '0' },
      { vm: recovered, userdevice: '1' },
    ]);
    expect(await diskSha(clone)).toBe(webDisk);

    // Again: both positions are taken now. Exit 1, nothing attached, and the message says where the VDIs are.
    const again = await restore(['restore', vhd, '--attach-to', recovered]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already has a device at position 0 \(Disk\), 1 \(Disk\).*left unattached/);
    expect(sim.state.vmDisks(clone)).toHaveLength(2);
    expect((await restore(['restore', vhd, '--attach-to', recovered, '--start'])).code).toBe(2);
    const identity = await restore(['restore', vhd, '--attach-to', recovered, '--keep-identity']);
    expect(identity.code).not.toBe(0);
    expect(identity.stderr).toMatch(/keepIdentity is for whole VMs/);
  });

  it('health-check --json: the copy ran and is gone, the pool is as it was', async () => {
    const before = pool();
    const r = await restore(['health-check', xva, '--timeout', '10', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.healthChecks).toMatchObject([{ outcome: 'passed', powerState: 'Running', vm: { name: 'web' } }]);
    expect(pool()).toEqual(before);
  });

  it('health-check of a VM that does not start: exit 1, the report in the error, nothing left', async () => {
    const before = pool();
    sim.inject({ kind: 'call-error', method: 'VM.start', code: 'SR_BACKEND_FAILURE_44', times: 1 });
    const r = await restore(['health-check', xva, '--timeout', '10', '--json']);
    expect(r.code).toBe(1);
    expect(r.json.error).toMatchObject({
      code: 'TAPIR_E_RESTORE_TARGET',
      context: { healthCheck: { outcome: 'failed' }, pluginCode: 'SR_BACKEND_FAILURE_44' },
    });
    expect(pool()).toEqual(before);

    const text = await restore(['health-check', vhd]);
    expect(text.code).toBe(1);
    expect(text.stderr).toMatch(/a health check needs a whole VM.*\[TAPIR_E_RESTORE_TARGET\]/);
  });

  it('bad input: wrong password, unknown save set, --force without --keep-identity; help lists exit codes', async () => {
    const wrong = await restore(['restore', xva, '--json'], { TAPIR_XEN_PASSWORD: 'not-the-password' });
    expect(wrong.code, JSON.stringify(wrong.json)).toBe(1);
    expect(wrong.json.error).toMatchObject({ code: 'TAPIR_E_RESTORE_TARGET' });
    expect(wrong.stdout + wrong.stderr).not.toContain('not-the-password');

    const unknown = await restore(['restore', 'ffffffff']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/TAPIR_E_/);

    expect((await restore(['restore', xva, '--force'])).code).toBe(2);

    for (const command of ['restore', 'health-check']) {
      const help = await xen([command, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/Exit codes: 0 done · 1 failed/);
    }
  });
});
