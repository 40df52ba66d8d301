import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeBigTree, partialGrown } from '../helpers/bigTree.js';
import { cli, scratch, startCli } from '../helpers/cli.js';
import { makeTree } from '../helpers/tree.js';

describe('an interrupted backup never leaves a save set marked complete', () => {
  let s: Awaited<ReturnType<typeof scratch>>;
  let dest: string;
  let big: string;
  let firstId: string;

  beforeAll(async () => {
    s = await scratch();
    dest = join(s.dir, 'dest');
    big = join(s.dir, 'big');
    await makeTree(join(s.dir, 'small'));
    await makeBigTree(big);
    const first = await cli(['backup', join(s.dir, 'small'), '--to', dest, '--json'], { home: s.home });
    expect(first.code).toBe(0);
    firstId = first.json.saveSets[0].saveSet;
  });
  afterAll(() => s.dispose());

  it('kill -9 midway: nothing complete, verify passes for what is, the next backup works and cleans up', async () => {
    // A temporary directory of its own, to see that the killed process left nothing there.
    const tmp = join(s.dir, 'tmp');
    await mkdir(tmp);
    const child = startCli(['backup', big, '--to', dest, '--compression', 'none', '--json'], {
      home: s.home,
      env: { TMPDIR: tmp },
    });
    const partial = await partialGrown(dest, 32 << 20);
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
    expect(await readdir(tmp)).toEqual([]);

    const listed = await cli(['catalog', 'save-sets', '--json'], { home: s.home });
    const statuses = Object.fromEntries(
      listed.json.saveSets.map((x: { id: string; status: string }) => [x.id, x.status]),
    );
    expect(Object.values(statuses).filter((st) => st === 'complete')).toEqual(['complete']);
    expect(statuses[firstId]).toBe('complete');
    const killedId = Object.keys(statuses).find((id) => id !== firstId)!;
    expect(statuses[killedId]).toBe('running');
    expect(await readdir(dest)).toContain(partial);

    const verify = await cli(['verify', '--all', '--json'], { home: s.home });
    expect(verify.code).toBe(0);
    expect(verify.json.saveSets.map((x: { saveSet: string }) => x.saveSet)).toEqual([firstId]);

    const again = await cli(['backup', join(s.dir, 'small'), '--to', dest, '--json'], { home: s.home });
    expect(again.code).toBe(0);
    expect(again.json.saveSets[0].status).toBe('complete');
    const after = await cli(['catalog', 'save-sets', '--json'], { home: s.home });
    expect(after.json.saveSets.find((x: { id: string }) => x.id === killedId).status).toBe('failed');
    expect((await readdir(dest)).filter((n) => n.endsWith('.partial'))).toEqual([]);
  });

  it('Ctrl-C midway: stops cleanly, exits 130, marks the save set failed and removes its partial file', async () => {
    const child = startCli(['backup', big, '--to', dest, '--compression', 'none', '--json'], { home: s.home });
    let stdout = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    await partialGrown(dest, 32 << 20);
    child.kill('SIGINT');
    const code = await new Promise((r) => child.on('close', r));
    expect(code).toBe(130);
    expect(JSON.parse(stdout).error.code).toBe('TAPIR_E_ABORTED');
    const listed = await cli(['catalog', 'save-sets', '--json'], { home: s.home });
    const newest = listed.json.saveSets[0];
    expect(newest.object).toContain(big);
    expect(newest.status).toBe('failed');
    expect((await readdir(dest)).filter((n) => n.endsWith('.partial'))).toEqual([]);
  });
});
