import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ItemMeta } from '@tapir/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startXapiSimulator, type XapiSimulator } from '../../../test/xapi-sim/src/index.js';
import { cli, scratch } from '../../../test/helpers/cli.js';
import { XenServerRestoreTarget, XenServerSource } from '../src/index.js';
import { type Collected, collect, content, MiB, runContext } from './harness.js';

const PASSWORD = 'health-secret-pw';
let sim: XapiSimulator;
let s: Awaited<ReturnType<typeof scratch>>;
let saveSet: string;

beforeAll(async () => {
  sim = await startXapiSimulator({
    password: PASSWORD,
    vms: [{ name: 'web', disks: [{ sizeBytes: 6 * MiB, content: content(6 * MiB, 41) }] }],
  });
  s = await scratch('tapir-xen-health-');
  await writeFile(
    join(s.dir, 'tapir.yaml'),
    `version: 1
destinations:
  local: { kind: disk, path: ${join(s.dir, 'dest')} }
restoreTargets:
  check: { kind: xenserver, url: '${sim.url}', password: '${PASSWORD}', healthCheck: true, healthCheckTimeoutSeconds: 10 }
jobs:
  web:
    sources: [ { kind: xenserver, url: '${sim.url}', password: '${PASSWORD}', vm: web, format: xva } ]
    destination: local
`,
  );
  const backup = await run(['job', 'run', 'web', '--json']);
  expect(backup.code, backup.stderr).toBe(0);
  saveSet = backup.json.saveSets[0].saveSet;
});
afterAll(async () => {
  await sim?.stop();
  await s?.dispose();
});

const run = (args: string[]) => cli([...args, '--config', join(s.dir, 'tapir.yaml')], { home: s.home });

/** Every VM (snapshots and control domains included), VBD, VIF and VDI of the pool, by UUID. */
const pool = () =>
  Object.fromEntries(
    (['VM', 'VBD', 'VIF', 'VDI'] as const).map((cls) => [
      cls,
      sim.state.pool.db
        .all(cls)
        .map(([, r]) => String(r['uuid']))
        .sort(),
    ]),
  );
const tapirLog = () => readFile(join(s.home, 'logs', 'tapir.log'), 'utf8');

describe('tapir restore --target xenserver with healthCheck', () => {
  it('restores, starts and removes the VM: exit 0, the pool as it was, the outcome in the log', async () => {
    const before = pool();
    const r = await run([
      'restore',
      saveSet,
      '--target',
      'xenserver',
      '--option',
      `url=${sim.url}`,
      '--option',
      `password=${PASSWORD}`,
      '--option',
      'healthCheck=true',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(pool()).toEqual(before);
    expect(sim.state.vm('web').record['power_state']).toBe('Running');
    const log = await tapirLog();
    expect(log).toMatch(/health check passed: VM web from vms\/[0-9a-f-]+\/vm\.xva was Running/);
    expect(log).toMatch(/saw only its power state/);
    expect(log).toMatch(/health check: removed VM [0-9a-f-]+ and 1 disk\(s\)/);
    expect(r.stdout + r.stderr + log).not.toContain(PASSWORD);
  });

  it('a named restore target works the same', async () => {
    const before = pool();
    const r = await run(['restore', saveSet, '--target', 'check', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(pool()).toEqual(before);
  });

  it('a VM that does not start: non-zero exit naming the VM and why, and nothing left behind', async () => {
    const before = pool();
    sim.inject({
      kind: 'call-error',
      method: 'VM.start',
      code: 'HOST_NOT_ENOUGH_FREE_MEMORY',
      params: ['4294967296', '1073741824'],
    });
    const r = await run(['restore', saveSet, '--target', 'check']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /health check of VM web \([0-9a-f-]+, restored from vms\/[0-9a-f-]+\/vm\.xva\) failed: it did not start: .*HOST_NOT_ENOUGH_FREE_MEMORY/,
    );
    expect(r.stderr).toContain('[TAPIR_E_RESTORE_TARGET]');
    expect(pool()).toEqual(before);
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);

    const json = await run(['restore', saveSet, '--target', 'check', '--json']);
    expect(json.code, json.stderr).toBe(0); // the fault was used up: the next check passes
  });

  it('refuses healthCheck with keepIdentity before touching the pool', async () => {
    const before = pool();
    const r = await run(['restore', saveSet, '--target', 'check', '--option', 'keepIdentity=true']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(
      /healthCheck restores a copy and destroys it afterwards: it cannot be combined with keepIdentity/,
    );
    expect(pool()).toEqual(before);
  });
});

describe('xenserver restore target health check, driven directly', () => {
  let items: Collected[];
  beforeAll(async () => {
    items = await collect(
      await XenServerSource.open({ url: sim.url, password: PASSWORD, vm: 'web', format: 'xva' }),
      runContext('direct'),
    );
  });

  async function restore(input: Collected[], options: Record<string, unknown>) {
    const ctx = runContext();
    const target = new XenServerRestoreTarget(
      { url: sim.url, password: PASSWORD, healthCheck: true, ...options } as never,
      ctx,
    );
    await target.prepare();
    try {
      for (const item of input) {
        const data = item.data!;
        await target.write(
          { path: item.path, type: item.type, dataSize: data.length } as ItemMeta,
          (async function* () {
            yield data;
          })(),
        );
      }
    } finally {
      await target.finish();
    }
    return { restored: target.restored, ctx };
  }

  it('reports the check and warns that only the power state was seen', async () => {
    const before = pool();
    const { restored, ctx } = await restore(items, {});
    expect(restored.vms).toEqual([]);
    expect(restored.healthChecks).toEqual([
      expect.objectContaining({ outcome: 'passed', powerState: 'Running', guestMetrics: null, vm: expect.any(Object) }),
    ]);
    expect(ctx.warnings.map((w) => w.code)).toEqual(['XEN_HEALTH_CHECK_POWER_STATE_ONLY']);
    expect(pool()).toEqual(before);
  });

  it('waits for guest metrics when the backed-up VM had them, fails at the timeout, and removes the VM', async () => {
    const withTools = items.map((item) => {
      if (!item.path.endsWith('/vm.json')) return item;
      const doc = JSON.parse(item.data!.toString('utf8'));
      doc.vm.guest_metrics = 'OpaqueRef:5f0c1e2a-guest-metrics';
      return { ...item, data: Buffer.from(JSON.stringify(doc)) };
    });
    const before = pool();
    const started = Date.now();
    await expect(restore(withTools, { healthCheckTimeoutSeconds: 2 })).rejects.toMatchObject({
      code: 'TAPIR_E_RESTORE_TARGET',
      message: expect.stringMatching(/health check of VM web .* failed: it is Running but reported no guest metrics/),
      context: { healthCheck: { outcome: 'failed', powerState: 'Running', guestMetrics: false } },
    });
    expect(Date.now() - started).toBeLessThan(6000);
    expect(pool()).toEqual(before);
  });

  it('refuses a VHD save set before creating anything', async () => {
    const vhd = await collect(
      await XenServerSource.open({ url: sim.url, password: PASSWORD, vm: 'web', format: 'vhd', cbt: false }),
      runContext('direct-vhd'),
    );
    const before = pool();
    await expect(restore(vhd, {})).rejects.toMatchObject({
      code: 'TAPIR_E_RESTORE_TARGET',
      message: expect.stringMatching(/needs a whole VM.*format: xva/),
    });
    expect(pool()).toEqual(before);
  });
});
