import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, scratch } from '../helpers/cli.js';
import { isRoot, makeTree, snapshot } from '../helpers/tree.js';

describe.each([
  { compression: 'zstd', segment: undefined },
  { compression: 'none', segment: undefined },
  // Small segments force transformed items across several members.
  { compression: 'zstd', segment: String(1 << 20) },
])('backup and restore round trip (compression $compression, segment $segment)', ({ compression, segment }) => {
  let s: Awaited<ReturnType<typeof scratch>>;
  let tree: string;
  let before: Awaited<ReturnType<typeof snapshot>>;
  let backup: Awaited<ReturnType<typeof cli>>;
  const env = segment ? { TAPIR_SEGMENT_SIZE: segment } : undefined;

  beforeAll(async () => {
    s = await scratch();
    tree = join(s.dir, 'tree');
    await makeTree(tree);
    before = await snapshot(tree);
    backup = await cli(['backup', tree, '--to', join(s.dir, 'dest'), '--compression', compression, '--json'], {
      home: s.home,
      ...(env ? { env } : {}),
    });
  });
  afterAll(() => s.dispose());

  it('completes one save set holding every item', () => {
    expect(backup.stderr).toBe('');
    expect(backup.code).toBe(0);
    expect(backup.json.status).toBe('ok');
    const [set] = backup.json.saveSets;
    expect(set.status).toBe('complete');
    // every path of the tree, the tree itself, and its parent directories
    expect(set.items).toBe(Object.keys(before).length + tree.split('/').filter(Boolean).length);
  });

  it('restores content and metadata identically', async () => {
    const target = join(s.dir, 'restore');
    const restore = await cli(['restore', backup.json.saveSets[0].saveSet, '--to', target, '--json'], { home: s.home });
    expect(restore.code).toBe(0);
    expect(restore.json.damaged).toEqual([]);
    const after = await snapshot(join(target, tree.slice(1)));
    expect(after).toEqual(before);
    // spot checks that the comparison covers what it should
    expect(after['sparse.img']!.sparse).toBe(true);
    expect(after['hard-a']!.hardLinks).toEqual(['dir/hard-b']);
    expect(after['small.txt']!.xattrs!['user.binary']).toBe('000102ff');
    expect(after['setuid']!.mode & 0o7777).toBe(0o4750);
    if (isRoot) expect(after['secret']!.uid).toBe(1234);
  });

  it('verifies', async () => {
    const verify = await cli(['verify', backup.json.saveSets[0].saveSet, '--json'], { home: s.home });
    expect(verify.code).toBe(0);
    expect(verify.json.ok).toBe(true);
    expect(verify.json.saveSets[0].verified).toBeGreaterThan(10);
  });
});

describe('several roots in one source', () => {
  it('stores shared parent directories once and overlapping roots once', async () => {
    const s = await scratch();
    try {
      await makeTree(join(s.dir, 'a'));
      await makeTree(join(s.dir, 'b'));
      const r = await cli(
        ['backup', join(s.dir, 'a'), join(s.dir, 'b'), join(s.dir, 'a', 'dir'), '--to', join(s.dir, 'dest'), '--json'],
        { home: s.home },
      );
      expect(r.code).toBe(0);
      const target = join(s.dir, 'restore');
      expect(
        (await cli(['restore', r.json.saveSets[0].saveSet, '--to', target, '--json'], { home: s.home })).code,
      ).toBe(0);
      expect(await snapshot(join(target, s.dir.slice(1), 'b'))).toEqual(await snapshot(join(s.dir, 'b')));
      expect(await snapshot(join(target, s.dir.slice(1), 'a'))).toEqual(await snapshot(join(s.dir, 'a')));
    } finally {
      await s.dispose();
    }
  });
});
