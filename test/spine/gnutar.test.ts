import { readdir } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
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

  it("checks with b3sum alone: every file's hash in the manifest is Debian b3sum's digest of the extracted file", async () => {
    const file = await backupTo(join(s.dir, 'b3'), 'none');
    const out = join(s.dir, 'tar-b3');
    sh('mkdir', ['-p', out]);
    sh('tar', ['-xpf', file, '-C', out]);
    const manifest = (await readdir(join(out, '.tapir-saveset'))).find((f) => f.startsWith('manifest.'))!;
    const items = sh('cat', [join(out, '.tapir-saveset', manifest)])
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { path?: string; type?: string; hash?: string; sparse?: unknown })
      // A sparse file's hash covers its data regions only (docs/format/save-set-v1.md), not the file b3sum reads.
      .filter((item) => item.type === 'file' && item.hash !== undefined && item.sparse === undefined);
    expect(items.length).toBeGreaterThan(3);
    for (const item of items) {
      expect(item.hash, item.path).toMatch(/^blake3:[0-9a-f]{64}$/);
      const digest = execFileSync('b3sum', ['--no-names', join(out, item.path!)], { encoding: 'utf8' }).trim();
      expect(`blake3:${digest}`, item.path).toBe(item.hash);
    }
  });
});
