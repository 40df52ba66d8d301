import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, scratch } from '../helpers/cli.js';

const run = promisify(execFile);

/**
 * A disk destination on a file system that fills up midway: a 16 MiB tmpfs, mounted for this test (root only, as
 * the CI runs; skipped elsewhere).
 */
describe.skipIf(process.getuid?.() !== 0)('a disk destination that runs out of space', () => {
  let s: Awaited<ReturnType<typeof scratch>>;
  let mnt: string;
  let mounted = false;

  beforeAll(async () => {
    s = await scratch('tapir-disk-full-');
    mnt = join(s.dir, 'mnt');
    await mkdir(mnt);
    await run('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', mnt]);
    mounted = true;
    await mkdir(join(s.dir, 'big'));
    await writeFile(join(s.dir, 'big', 'a.bin'), randomBytes(24 << 20));
    await writeFile(join(s.dir, 'big', 'b.bin'), randomBytes(8 << 20));
    await mkdir(join(s.dir, 'small'));
    await writeFile(join(s.dir, 'small', 'c.bin'), randomBytes(1 << 20));
  });
  afterAll(async () => {
    if (mounted) await run('umount', [mnt]);
    await s?.dispose();
  });

  it('fails the save set naming the file and ENOSPC, leaves nothing on the disk, and the next backup works', async () => {
    const dest = join(mnt, 'dest');
    const full = await cli(['backup', join(s.dir, 'big'), '--to', dest, '--compression', 'none', '--json'], {
      home: s.home,
    });
    expect(full.code, full.stdout + full.stderr).toBe(1);
    const failed = full.json.saveSets[0];
    expect(failed.status).toBe('failed');
    expect(failed.error.code).toBe('TAPIR_E_DESTINATION_UNAVAILABLE');
    expect(failed.error.message).toContain(join(dest, `.${failed.saveSet}.tar.partial`));
    expect(failed.error.message).toMatch(/ENOSPC|no space/i);
    // The partial file is gone: the space is free again.
    expect(await readdir(dest)).toEqual([]);

    const listed = await cli(['catalog', 'save-sets', '--json'], { home: s.home });
    expect(listed.json.saveSets.map((x: { id: string; status: string }) => [x.id, x.status])).toEqual([
      [failed.saveSet, 'failed'],
    ]);

    const next = await cli(['backup', join(s.dir, 'small'), '--to', dest, '--compression', 'none', '--json'], {
      home: s.home,
    });
    expect(next.code, next.stderr).toBe(0);
    expect(next.json.saveSets[0].status).toBe('complete');
    const verify = await cli(['verify', '--all', '--json'], { home: s.home });
    expect(verify.code).toBe(0);
    expect(verify.json.saveSets.map((x: { saveSet: string }) => x.saveSet)).toEqual([next.json.saveSets[0].saveSet]);
  });
});
