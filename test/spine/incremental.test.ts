import { appendFile, chmod, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, scratch } from '../helpers/cli.js';
import { makeTree, snapshot } from '../helpers/tree.js';

describe('incremental backups', () => {
  let s: Awaited<ReturnType<typeof scratch>>;
  let tree: string;
  let fullId: string;
  let incrId: string;
  let incr: Awaited<ReturnType<typeof cli>>;
  let atFull: Awaited<ReturnType<typeof snapshot>>;
  let atIncr: Awaited<ReturnType<typeof snapshot>>;
  const dest = () => join(s.dir, 'dest');

  beforeAll(async () => {
    s = await scratch();
    tree = join(s.dir, 'tree');
    await makeTree(tree);
    atFull = await snapshot(tree);
    // The full hashes items with BLAKE2b-512 and the incremental with SHA-256, as save sets made on machines with and
    // without SHA instructions would (ADR 0011): a chain may mix them.
    const full = await cli(['backup', tree, '--to', dest(), '--job', 'inc', '--json'], {
      home: s.home,
      env: { TAPIR_ITEM_HASH: 'blake2b512' },
    });
    expect(full.code).toBe(0);
    fullId = full.json.saveSets[0].saveSet;
    // Change one file, add one, delete one, change one file's mode only.
    await appendFile(join(tree, 'dir/sub/text.log'), 'one more line\n');
    await writeFile(join(tree, 'new-file.txt'), 'new since the full\n');
    await rm(join(tree, 'script.sh'));
    await chmod(join(tree, 'secret'), 0o640);
    atIncr = await snapshot(tree);
    incr = await cli(['backup', tree, '--to', dest(), '--job', 'inc', '--json'], {
      home: s.home,
      env: { TAPIR_ITEM_HASH: 'sha256' },
    });
    expect(incr.code).toBe(0);
    incrId = incr.json.saveSets[0].saveSet;
  });
  afterAll(() => s.dispose());

  it('stores only what changed since its parent', async () => {
    const set = incr.json.saveSets[0];
    expect(set.level).toBe('incremental');
    const changedBytes = atIncr['dir/sub/text.log']!.size! + atIncr['new-file.txt']!.size! + atIncr['secret']!.size!;
    expect(set.bytes).toBe(changedBytes);
    const items = await cli(['catalog', 'items', incrId, '--json'], { home: s.home });
    const here = items.json.items
      .filter((i: { hash?: string; dataSaveSet?: string }) => i.hash && i.dataSaveSet === incrId)
      .map((i: { path: string }) => `/${i.path}`.slice(tree.length));
    expect(here.sort()).toEqual(['/dir/sub/text.log', '/new-file.txt', '/secret']);
    const hashes = items.json.items.filter((i: { hash?: string }) => i.hash);
    for (const i of hashes as Array<{ hash: string; dataSaveSet: string }>)
      expect(i.hash).toMatch(i.dataSaveSet === incrId ? /^sha256:[0-9a-f]{64}$/ : /^blake2b512:[0-9a-f]{128}$/);
    expect(items.json.items.some((i: { path: string }) => i.path.endsWith('script.sh'))).toBe(false);
  });

  it('restoring the incremental rebuilds the tree as it was at that run', async () => {
    const target = join(s.dir, 'restore-incr');
    const r = await cli(['restore', incrId, '--to', target, '--json'], { home: s.home });
    expect(r.code).toBe(0);
    expect(r.json.read).toEqual([fullId, incrId]);
    expect(await snapshot(join(target, tree.slice(1)))).toEqual(atIncr);
  });

  it('restoring the full still gives the tree as it was then', async () => {
    const target = join(s.dir, 'restore-full');
    const r = await cli(['restore', fullId, '--to', target, '--json'], { home: s.home });
    expect(r.code).toBe(0);
    expect(await snapshot(join(target, tree.slice(1)))).toEqual(atFull);
  });

  it('restores a single item from the chain', async () => {
    const target = join(s.dir, 'restore-one');
    const r = await cli(['restore', incrId, '--item', `${tree.slice(1)}/small.txt`, '--to', target, '--json'], {
      home: s.home,
    });
    expect(r.code).toBe(0);
    const after = await snapshot(join(target, tree.slice(1)));
    expect(after['small.txt']).toEqual(atIncr['small.txt']);
    expect(Object.keys(after)).toEqual(['small.txt']);
  });

  it('both save sets of the mixed chain verify', async () => {
    const r = await cli(['verify', fullId, incrId, '--json'], { home: s.home });
    expect(r.code, r.stderr + r.stdout).toBe(0);
  });

  it('an item hash neither BLAKE3 nor known to OpenSSL is refused, naming the variable', async () => {
    const r = await cli(['backup', tree, '--to', dest(), '--job', 'inc', '--json'], {
      home: s.home,
      env: { TAPIR_ITEM_HASH: 'crc7' },
    });
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain(
      'TAPIR_ITEM_HASH=crc7 is not a hash algorithm tapir can compute here (blake3, or one OpenSSL knows',
    );
  });

  it('a rerun with nothing changed stores no data', async () => {
    const again = await cli(['backup', tree, '--to', dest(), '--job', 'inc', '--json'], { home: s.home });
    expect(again.code).toBe(0);
    expect(again.json.saveSets[0].bytes).toBe(0);
  });
});
