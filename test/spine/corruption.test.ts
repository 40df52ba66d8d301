import { createHash } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, scratch } from '../helpers/cli.js';
import { makeTree, snapshot } from '../helpers/tree.js';

/** Offset of a member's first data byte: skip its pax header (if any) and its ustar header. */
async function dataOffset(file: string, memberOffset: number): Promise<number> {
  const handle = await open(file, 'r');
  try {
    const block = Buffer.alloc(512);
    await handle.read(block, 0, 512, memberOffset);
    if (String.fromCharCode(block[156]!) === 'x') {
      const size = parseInt(block.toString('latin1', 124, 135), 8);
      return memberOffset + 512 + Math.ceil(size / 512) * 512 + 512;
    }
    return memberOffset + 512;
  } finally {
    await handle.close();
  }
}

async function flipByte(file: string, offset: number): Promise<void> {
  const handle = await open(file, 'r+');
  const b = Buffer.alloc(1);
  await handle.read(b, 0, 1, offset);
  b[0] = b[0]! ^ 0xff;
  await handle.write(b, 0, 1, offset);
  await handle.close();
}

describe.each(['none', 'zstd'])('one flipped byte in a save set (compression %s)', (compression) => {
  let s: Awaited<ReturnType<typeof scratch>>;
  let tree: string;
  let id: string;
  const victim = 'dir/random.bin';

  beforeAll(async () => {
    s = await scratch();
    tree = join(s.dir, 'tree');
    await makeTree(tree);
    const backup = await cli(['backup', tree, '--to', join(s.dir, 'dest'), '--compression', compression, '--json'], {
      home: s.home,
    });
    expect(backup.code).toBe(0);
    id = backup.json.saveSets[0].saveSet;
    const items = await cli(['catalog', 'items', id, '--json'], { home: s.home });
    const item = items.json.items.find((i: { path: string }) => i.path === `${tree.slice(1)}/${victim}`);
    const file = join(s.dir, 'dest', `${id}.tar`);
    await flipByte(file, (await dataOffset(file, item.members[0].offset)) + 1000);
  });
  afterAll(() => s.dispose());

  it('verify names the damaged item and exits 4', async () => {
    const verify = await cli(['verify', id, '--json'], { home: s.home });
    expect(verify.code).toBe(4);
    expect(verify.json.ok).toBe(false);
    expect(verify.json.saveSets[0].damaged.map((d: { path: string }) => d.path)).toEqual([
      `${tree.slice(1)}/${victim}`,
    ]);
  });

  it('restore restores every other item, leaves the damaged one out and exits 4', async () => {
    const target = join(s.dir, 'restore');
    const restore = await cli(['restore', id, '--to', target, '--json'], { home: s.home });
    expect(restore.code).toBe(4);
    expect(restore.json.damaged.map((d: { path: string }) => d.path)).toEqual([`${tree.slice(1)}/${victim}`]);
    const before = await snapshot(tree);
    const after = await snapshot(join(target, tree.slice(1)));
    expect(after[victim]).toBeUndefined();
    delete before[victim];
    // The parent directory's times may differ: its content changed by one file.
    delete before['dir'];
    delete after['dir'];
    expect(after).toEqual(before);
    const original = createHash('sha256')
      .update(await readFile(join(tree, 'small.txt')))
      .digest('hex');
    expect(after['small.txt']!.sha256).toBe(original);
  });
});
