import { appendFile, copyFile, mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, scratch } from '../helpers/cli.js';
import { makeTree, snapshot } from '../helpers/tree.js';

describe('the catalog rebuilt from a disk destination alone', () => {
  let s: Awaited<ReturnType<typeof scratch>>;
  let tree: string;
  let incrId: string;
  let expected: Awaited<ReturnType<typeof snapshot>>;
  const dest = () => join(s.dir, 'dest');

  beforeAll(async () => {
    s = await scratch();
    tree = join(s.dir, 'tree');
    await makeTree(tree);
    expect((await cli(['backup', tree, '--to', dest(), '--job', 'nightly', '--json'], { home: s.home })).code).toBe(0);
    await appendFile(join(tree, 'small.txt'), 'changed\n');
    const incr = await cli(['backup', tree, '--to', dest(), '--job', 'nightly', '--json'], { home: s.home });
    expect(incr.code).toBe(0);
    incrId = incr.json.saveSets[0].saveSet;
    expected = await snapshot(tree);
    // A killed run's leftover, and a save set cut short: neither may be imported as complete.
    const [first] = (await readdir(dest())).filter((n) => n.endsWith('.tar'));
    await copyFile(join(dest(), first!), join(dest(), '.00000000-0000-4000-8000-000000000000.tar.partial'));
    // The catalog is lost.
    await rm(join(s.home, 'catalog.db'), { force: true });
    await rm(join(s.home, 'catalog.db-wal'), { force: true });
    await rm(join(s.home, 'catalog.db-shm'), { force: true });
  });
  afterAll(() => s.dispose());

  it('imports both save sets, parents first, and restores the incremental identically', async () => {
    const r = await cli(['catalog', 'rebuild', '--from', dest(), '--json'], { home: s.home });
    expect(r.code).toBe(0);
    expect(r.json.results.map((x: { level: string; outcome: string }) => `${x.level}:${x.outcome}`)).toEqual([
      'full:imported',
      'incremental:imported',
    ]);
    const restore = await cli(['restore', incrId, '--to', join(s.dir, 'restore'), '--json'], { home: s.home });
    expect(restore.code).toBe(0);
    expect(await snapshot(join(s.dir, 'restore', tree.slice(1)))).toEqual(expected);
    const verify = await cli(['verify', '--all', '--json'], { home: s.home });
    expect(verify.json.ok).toBe(true);
    expect(verify.json.saveSets).toHaveLength(2);
  });

  it('a second rebuild imports nothing', async () => {
    const r = await cli(['catalog', 'rebuild', '--from', dest(), '--json'], { home: s.home });
    expect(r.json.imported).toBe(0);
    expect(r.json.results.map((x: { outcome: string }) => x.outcome)).toEqual(['present', 'present']);
  });

  it('an incremental whose parent is gone is not imported', async () => {
    const lone = join(s.dir, 'lone');
    await mkdir(lone);
    await copyFile(join(dest(), `${incrId}.tar`), join(lone, `${incrId}.tar`));
    const home = join(s.dir, 'home2');
    const r = await cli(['catalog', 'rebuild', '--from', lone, '--json'], { home });
    expect(r.code).toBe(0);
    expect(r.json.results).toEqual([expect.objectContaining({ saveSet: incrId, outcome: 'orphan' })]);
  });
});
