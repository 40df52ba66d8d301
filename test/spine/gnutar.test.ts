import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, scratch } from '../helpers/cli.js';
import { contentOnly, makeTree, sh, snapshot } from '../helpers/tree.js';

describe('GNU tar reads save sets with no tapir installed', () => {
  let s: Awaited<ReturnType<typeof scratch>>;
  let tree: string;

  beforeAll(async () => {
    s = await scratch();
    tree = join(s.dir, 'tree');
    await makeTree(tree);
  });
  afterAll(() => s.dispose());

  async function backupTo(dest: string, compression: string): Promise<string> {
    const r = await cli(['backup', tree, '--to', dest, '--compression', compression, '--level', 'full', '--json'], {
      home: s.home,
    });
    expect(r.code).toBe(0);
    const files = (await readdir(dest)).filter((f) => f.endsWith('.tar'));
    expect(files).toHaveLength(1);
    return join(dest, files[0]!);
  }

  it('lists and extracts an uncompressed save set to the same files', async () => {
    const file = await backupTo(join(s.dir, 'plain'), 'none');
    const listing = sh('tar', ['tf', file]).split('\n');
    expect(listing[0]).toBe('.tapir-saveset/header.json');
    expect(listing).toContain(`${tree.slice(1)}/ünïcödé/日本語のファイル.txt`);
    const out = join(s.dir, 'tar-out');
    sh('mkdir', ['-p', out]);
    // GNU tar prints nothing and exits 0: no unknown keywords, no errors.
    const stderr = sh('sh', ['-c', `tar -xpf '${file}' -C '${out}' 2>&1`]);
    expect(stderr).toBe('');
    expect(contentOnly(await snapshot(join(out, tree.slice(1))))).toEqual(contentOnly(await snapshot(tree)));
  });

  it('extracts a compressed save set to .zst members that zstd turns back into the files', async () => {
    const file = await backupTo(join(s.dir, 'zstd'), 'zstd');
    const out = join(s.dir, 'tar-zstd');
    sh('mkdir', ['-p', out]);
    sh('tar', ['-xpf', file, '-C', out]);
    const root = join(out, tree.slice(1));
    sh('zstd', ['-d', '-q', '--rm', join(root, 'small.txt.zst'), join(root, 'dir/random.bin.zst')]);
    const original = await snapshot(tree);
    const extracted = await snapshot(root);
    expect(extracted['small.txt']!.sha256).toBe(original['small.txt']!.sha256);
    expect(extracted['dir/random.bin']!.sha256).toBe(original['dir/random.bin']!.sha256);
  });
});
