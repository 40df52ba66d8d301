import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, scratch } from '../helpers/cli.js';
import { makeTree, snapshot } from '../helpers/tree.js';

describe('restore to a chosen restore target', () => {
  let s: Awaited<ReturnType<typeof scratch>>;
  let tree: string;
  let id: string;

  beforeAll(async () => {
    s = await scratch();
    tree = join(s.dir, 'tree');
    await makeTree(tree);
    const r = await cli(['backup', tree, '--to', join(s.dir, 'dest'), '--json'], { home: s.home });
    expect(r.code).toBe(0);
    id = r.json.saveSets[0].saveSet;
    await writeFile(
      join(s.dir, 'tapir.yaml'),
      `version: 1\nrestoreTargets:\n  scratch-area:\n    kind: files\n    path: ${join(s.dir, 'named')}\n`,
    );
  });
  afterAll(() => s.dispose());

  it('by name from the configuration', async () => {
    const r = await cli(['restore', id, '--target', 'scratch-area', '--config', join(s.dir, 'tapir.yaml'), '--json'], {
      home: s.home,
    });
    expect(r.code).toBe(0);
    expect(await snapshot(join(s.dir, 'named', tree.slice(1)))).toEqual(await snapshot(tree));
  });

  it("by kind with --option, validated against the kind's schema", async () => {
    const ok = await cli(
      [
        'restore',
        id,
        '--target',
        'files',
        '--option',
        `path=${join(s.dir, 'by-kind')}`,
        '--item',
        `${tree.slice(1)}/small.txt`,
        '--json',
      ],
      { home: s.home },
    );
    expect(ok.code).toBe(0);
    expect(ok.json.items).toBeGreaterThan(0);
    const bad = await cli(
      ['restore', id, '--target', 'files', '--option', `path=${join(s.dir, 'x')}`, '--option', 'colour=blue', '--json'],
      { home: s.home },
    );
    expect(bad.code).toBe(3);
    expect(bad.json.error.context.problems).toEqual([{ path: '', message: 'unknown setting "colour"' }]);
    const unknown = await cli(['restore', id, '--target', 'nosuch', '--json'], { home: s.home });
    expect(unknown.code).toBe(3);
    expect(unknown.json.error.code).toBe('TAPIR_E_PLUGIN_NOT_FOUND');
  });

  it('needs exactly one of --to and --target', async () => {
    const r = await cli(['restore', id], { home: s.home });
    expect(r.code).toBe(2);
  });
});
