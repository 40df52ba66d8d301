import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startXapiSimulator, type XapiSimulator } from '../../../test/xapi-sim/src/index.js';
import { cli, scratch } from '../../../test/helpers/cli.js';
import { MiB } from './harness.js';

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
