/**
 * A backup killed in the middle of writing (SIGKILL, by its pid) leaves a tape file without a filemark, a tape in the
 * drive and stale locks. The next job takes the locks over, puts the tape back, closes the torn file with a filemark
 * and appends after it; the earlier save set and the new one restore, and the torn one is not in the catalog as
 * complete.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli } from '../../../test/helpers/cli.js';
import { contentOnly, sh, snapshot } from '../../../test/helpers/tree.js';
import { startTapeBed, type TapeBed } from './support.js';

let bed: TapeBed;
let small: string;
let big: string;

beforeAll(async () => {
  bed = await startTapeBed({ tapeSizeMb: 1024 });
  small = join(bed.dir, 'small');
  big = join(bed.dir, 'big');
  await mkdir(small);
  await mkdir(big);
  await writeFile(join(small, 'a.txt'), 'first\n'.repeat(10_000));
  for (let i = 0; i < 8; i++) await writeFile(join(big, `r${i}.bin`), randomBytes(32 * 1024 * 1024));
  await bed.configure(
    [
      '  small:',
      `    sources: [ { kind: files, paths: [${small}] } ]`,
      '    destination: tapes',
      '    level: full',
      '  big:',
      `    sources: [ { kind: files, paths: [${big}] } ]`,
      '    destination: tapes',
      '    level: full',
    ].join('\n'),
  );
}, 180_000);

afterAll(async () => {
  await bed?.stop();
});

const db = (sql: string) => sh('sqlite3', [join(bed.home, 'catalog.db'), sql]).trim();

describe('a backup killed while writing to tape', () => {
  it('leaves a torn file that the next job closes and appends after', async () => {
    const first = await bed.tapir('job', 'run', 'small', '--json');
    expect(first.code, first.stderr + first.stdout).toBe(0);

    const child = startCli(['job', 'run', 'big', '--json', '--config', bed.config], { home: bed.home });
    // Kill it once some blocks of its save set reached the tape (file 2 of TAPE0001L6).
    for (let i = 0; i < 400; i++) {
      const img = await bed.vtl.show('TAPE0001L6');
      const fm = img.filter((b) => b.kind === 'filemark').length;
      const afterLast = img.length - 1 - img.map((b) => b.kind).lastIndexOf('filemark');
      if (fm === 2 && afterLast > 8) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('close', r));
    const torn = await bed.vtl.show('TAPE0001L6');
    expect(torn.filter((b) => b.kind === 'filemark')).toHaveLength(2);
    expect(torn.at(-2)!.kind).toBe('data'); // blocks after the last filemark, then end of data

    const again = await bed.tapir('job', 'run', 'small', '--json');
    expect(again.code, again.stderr + again.stdout).toBe(0);
    const id = again.json.saveSets[0].saveSet as string;
    // label, first save set, the torn file (now closed), the new save set.
    expect(db(`select location from extents where save_set_id = '${id}'`)).toBe('{"file":3,"blockSize":262144}');
    const img = await bed.vtl.show('TAPE0001L6');
    expect(img.filter((b) => b.kind === 'filemark')).toHaveLength(4);
    expect(db("select count(*) from save_sets where status = 'complete'")).toBe('2');
    const log = await bed.log();
    expect(log.map((l) => String(l.msg))).toContainEqual(expect.stringContaining('still holds TAPE0001L6'));

    for (const set of [first.json.saveSets[0].saveSet as string, id]) {
      const target = join(bed.dir, `restore-${set}`);
      const r = await bed.tapir('restore', set, '--to', target, '--json');
      expect(r.code, r.stderr + r.stdout).toBe(0);
      expect(contentOnly(await snapshot(join(target, small.slice(1))))).toEqual(contentOnly(await snapshot(small)));
    }
  });
});
