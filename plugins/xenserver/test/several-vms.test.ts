import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startXapiSimulator, type XapiSimulator } from '../../../test/xapi-sim/src/index.js';
import { cli, scratch } from '../../../test/helpers/cli.js';
import { content, MiB } from './harness.js';

const PASSWORD = 'several-secret';
let sim: XapiSimulator;
let s: Awaited<ReturnType<typeof scratch>>;

beforeAll(async () => {
  sim = await startXapiSimulator({
    password: PASSWORD,
    vms: [
      { name: 'web', disks: [{ sizeBytes: 4 * MiB, content: content(4 * MiB, 31) }] },
      { name: 'db', disks: [{ sizeBytes: 6 * MiB, content: content(6 * MiB, 32) }] },
    ],
  });
  s = await scratch('tapir-xen-several-');
  await writeFile(
    join(s.dir, 'tapir.yaml'),
    `version: 1
destinations:
  local: { kind: disk, path: ${join(s.dir, 'dest')} }
restoreTargets:
  pool: { kind: xenserver, url: '${sim.url}', password: '${PASSWORD}' }
jobs:
  both:
    sources: [ { kind: xenserver, url: '${sim.url}', password: '${PASSWORD}', vms: [web, db] } ]
    destination: local
    streams: 2
`,
  );
});
afterAll(async () => {
  await sim?.stop();
  await s?.dispose();
});

const run = (args: string[]) => cli([...args, '--config', join(s.dir, 'tapir.yaml')], { home: s.home });

describe('one xenserver source naming several VMs', () => {
  it('stores one save set per VM, two at a time, and restores one into the pool by a named target', async () => {
    const r = await run(['job', 'run', 'both', '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const objects = r.json.saveSets.map((x: { object: string; status: string }) => `${x.object}:${x.status}`).sort();
    expect(objects).toEqual(
      [`xenserver:${sim.state.vm('db').uuid}:complete`, `xenserver:${sim.state.vm('web').uuid}:complete`].sort(),
    );
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);

    const web = r.json.saveSets.find((x: { object: string }) => x.object.endsWith(sim.state.vm('web').uuid));
    const vmsBefore = sim.state
      .vms()
      .filter(([, v]) => v['is_a_snapshot'] !== true && v['is_a_template'] !== true).length;
    const restore = await run(['restore', web.saveSet, '--target', 'pool', '--json']);
    expect(restore.code, restore.stderr).toBe(0);
    expect(sim.state.vms().filter(([, v]) => v['is_a_snapshot'] !== true && v['is_a_template'] !== true).length).toBe(
      vmsBefore + 1,
    );
  });

  it('a source with neither vm nor vms is a configuration error naming the path', async () => {
    await writeFile(
      join(s.dir, 'bad.yaml'),
      `version: 1\njobs:\n  j:\n    sources: [ { kind: xenserver, url: 'https://x', password: p } ]\n    destination: { kind: disk, path: /tmp/x }\n`,
    );
    const bad = await cli(['config', 'validate', '--json', '--config', join(s.dir, 'bad.yaml')], { home: s.home });
    expect(bad.code).toBe(3);
    expect(bad.json.error.context.problems.map((p: { path: string }) => p.path)).toContain('/jobs/j/sources/0');
  });
});
