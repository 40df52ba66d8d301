import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startXapiSimulator, type XapiSimulator } from '../../../test/xapi-sim/src/index.js';
import { cli, scratch } from '../../../test/helpers/cli.js';
import plugin from '../src/index.js';
import type { XenServerSourceOptions } from '../src/index.js';
import { XenServerSource } from '../src/XenServerSource.js';
import { XapiConnection } from '../src/XapiConnection.js';
import { MiB, runContext } from './harness.js';
import type { SourceKind } from '@tapir/sdk';
import { createTapirHooks } from '@tapir/sdk';

const PASSWORD = 'select-secret';
let sim: XapiSimulator;
let kind: SourceKind<XenServerSourceOptions>;
let s: Awaited<ReturnType<typeof scratch>>;

beforeAll(async () => {
  sim = await startXapiSimulator({
    password: PASSWORD,
    vms: [
      { name: 'web', tags: ['prod'], disks: [{ sizeBytes: 2 * MiB }] },
      { name: 'db', tags: ['prod', 'sql'], powerState: 'Halted', host: 1, disks: [{ sizeBytes: 2 * MiB }] },
      { name: 'dev', disks: [{ sizeBytes: 2 * MiB }] },
      { name: 'golden', tags: ['prod'], powerState: 'Halted', disks: [{ sizeBytes: 2 * MiB }] },
    ],
  });
  // Things that carry the tag but are no VMs: a template, a snapshot of web (snapshots copy tags), a control domain.
  sim.state.pool.db.update('VM', sim.state.vm('golden').ref, (r) => {
    r['is_a_template'] = true;
  });
  const conn = await XapiConnection.open(
    { url: sim.url, username: 'root', password: PASSWORD },
    'TAPIR_E_SOURCE_UNAVAILABLE',
  );
  await conn.callAsync('VM.snapshot', sim.state.vm('web').ref, 'web before');
  await conn.close();
  const dom0 = sim.state.pool.db.all('VM').find(([, r]) => r['is_control_domain'] === true)!;
  sim.state.pool.db.update('VM', dom0[0], (r) => {
    r['tags'] = ['prod'];
  });
  const hooks = createTapirHooks();
  plugin.apply(hooks);
  kind = (await hooks.sources.for('xenserver').promise()) as SourceKind<XenServerSourceOptions>;
  s = await scratch('tapir-xen-select-');
});
afterAll(async () => {
  await sim?.stop();
  await s?.dispose();
});

const base = () => ({ url: sim.url, password: PASSWORD });
const uuids = (...names: string[]) => names.map((n) => sim.state.vm(n).uuid).sort();
const expand = async (options: Partial<XenServerSourceOptions>, ctx = runContext()) =>
  (await kind.expand!({ ...base(), ...options } as XenServerSourceOptions, ctx)).map((o) => o.vm!).sort();

describe('VM selection', () => {
  it.each([
    [
      'tags: [prod] selects the tagged VMs, never the tagged template, snapshot or control domain',
      { tags: ['prod'] },
      ['web', 'db'],
    ],
    ['tags match any of the list', { tags: ['sql', 'nothing'] }, ['db']],
    ['pool: true selects every VM', { pool: true as const }, ['web', 'db', 'dev']],
    ['vms and tags combine, each VM once', { vms: ['dev', 'web'], tags: ['prod'] }, ['web', 'db', 'dev']],
    ['vms by UUID with tags', { vms: ['<dev>'], tags: ['sql'] }, ['db', 'dev']],
  ])('%s', async (_, options, expected) => {
    const resolved = { ...options } as Partial<XenServerSourceOptions>;
    if (resolved.vms) resolved.vms = resolved.vms.map((v) => (v === '<dev>' ? sim.state.vm('dev').uuid : v));
    expect(await expand(resolved)).toEqual(uuids(...expected));
  });

  it('a tag no VM carries: no VM, and a warning', async () => {
    const ctx = runContext();
    expect(await expand({ tags: ['absent'] }, ctx)).toEqual([]);
    expect(ctx.warnings.map((w) => w.code)).toEqual(['XEN_NO_VM_SELECTED']);
  });

  it('vms alone is split as given, without logging in; vm stays one source', async () => {
    expect(await expand({ vms: ['web', 'nope'], password: 'wrong' })).toEqual(['nope', 'web']);
    expect(await expand({ vm: 'web' })).toEqual(['web']);
  });

  it('a template, a snapshot or a control domain named by UUID is refused', async () => {
    const snapshot = sim.state.vms().find(([, r]) => r['is_a_snapshot'] === true)![1]['uuid'] as string;
    const dom0 = sim.state.pool.db.all('VM').find(([, r]) => r['is_control_domain'] === true)![1]['uuid'] as string;
    for (const [key, what] of [
      [sim.state.vm('golden').uuid, 'a template'],
      [snapshot, 'a snapshot'],
      [dom0, 'a control domain'],
    ] as const) {
      await expect(XenServerSource.open({ ...base(), vm: key })).rejects.toMatchObject({
        code: 'TAPIR_E_NOT_FOUND',
        message: expect.stringContaining(`is ${what}, not a VM`),
      });
    }
  });

  it('a job with tags stores one save set per tagged VM; vm with a selection is a configuration error', async () => {
    await writeFile(
      join(s.dir, 'tapir.yaml'),
      `version: 1
destinations:
  local: { kind: disk, path: ${join(s.dir, 'dest')} }
jobs:
  prod:
    sources: [ { kind: xenserver, url: '${sim.url}', password: '${PASSWORD}', tags: [prod], format: vhd, cbt: false } ]
    destination: local
    streams: 2
`,
    );
    const r = await cli(['job', 'run', 'prod', '--json', '--config', join(s.dir, 'tapir.yaml')], { home: s.home });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.json.saveSets.map((x: { object: string; status: string }) => `${x.object} ${x.status}`).sort()).toEqual(
      uuids('web', 'db').map((u) => `xenserver:${u} complete`),
    );

    await writeFile(
      join(s.dir, 'bad.yaml'),
      `version: 1\njobs:\n  bad:\n    sources: [ { kind: xenserver, url: 'https://x', password: p, vm: web, pool: true } ]\n    destination: { kind: disk, path: /tmp/x }\n`,
    );
    const bad = await cli(['config', 'validate', '--json', '--config', join(s.dir, 'bad.yaml')], { home: s.home });
    expect(bad.code).toBe(3);
    expect(bad.json.error.context.problems.map((p: { path: string }) => p.path)).toContain('/jobs/bad/sources/0');
  });
});
