/**
 * Per-slot licensing and an exhausted pool, through the real CLI against a private tgt VTL with 2 MB tapes. The VTL
 * has 8 storage slots (10–17); without a licence tapir may use 4 (10–13). Before the runs, TAPE0004L6 is moved to
 * slot 17 and the cleaning cartridge CLN001L1 into slot 13, so the licensed slots hold three data tapes and a
 * cleaning cartridge.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { IscsiTransport, MediaChanger } from '@tapir/devices';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sh } from '../../../test/helpers/tree.js';
import { startTapeBed, type TapeBed } from './support.js';

let bed: TapeBed;
const BARCODES = ['TAPE0001L6', 'TAPE0002L6', 'TAPE0003L6', 'TAPE0004L6', 'TAPE0005L6', 'TAPE0006L6', 'CLN001L1'];

const images = async () => Object.fromEntries(await Promise.all(BARCODES.map(async (b) => [b, await bed.vtl.show(b)])));
const media = () =>
  sh('sqlite3', [join(bed.home, 'catalog.db'), 'select id, pool, state from media order by id'])
    .trim()
    .split('\n');

beforeAll(async () => {
  bed = await startTapeBed({ tapeSizes: { TAPE0001L6: 2, TAPE0002L6: 2, TAPE0003L6: 2, TAPE0004L6: 2 } });
  const transport = await IscsiTransport.connect(bed.vtl.url);
  try {
    const changer = await MediaChanger.open(transport, bed.vtl.changerLun);
    await changer.move(13, 17);
    await changer.move(16, 13);
  } finally {
    await transport.close();
  }
  const data = join(bed.dir, 'data');
  await mkdir(data);
  for (let i = 0; i < 5; i++) await writeFile(join(data, `chunk-${i}.bin`), randomBytes(2 * 1024 * 1024));
  await bed.configure(
    ['  fill:', `    sources: [ { kind: files, paths: [${data}] } ]`, '    destination: tapes', '    level: full'].join(
      '\n',
    ),
  );
}, 180_000);

afterAll(async () => {
  await bed?.stop();
});

describe('an 8-slot library with the unlicensed 4-slot default', () => {
  it('uses only slots 10–13, says so, and names the licence when it needs a tape beyond them', async () => {
    const r = await bed.tapir('job', 'run', 'fill', '--json');
    expect(r.code, r.stderr + r.stdout).toBe(1);
    const text = r.stdout + r.stderr;
    expect(text).toContain('TAPIR_E_LICENSE_LIMIT');
    expect(text).toContain('autoloader.slots');
    expect(text).toMatch(/TAPE0004L6 \(slot 17\)/);
    const log = await bed.log();
    expect(log.map((l) => l.msg)).toContainEqual(
      expect.stringContaining(
        'the licence (autoloader.slots) allows 4: using slots 10–13 only, slots 14–17 are not addressed',
      ),
    );
    // The three licensed data tapes were filled; the cleaning cartridge was recognised and never written; the tapes
    // in slots 14–17 were never touched.
    expect(media()).toEqual([
      'CLN001L1|scratch|cleaning',
      'TAPE0001L6|default|full',
      'TAPE0002L6|default|full',
      'TAPE0003L6|default|full',
    ]);
    const img = await images();
    for (const b of ['TAPE0004L6', 'TAPE0005L6', 'TAPE0006L6', 'CLN001L1'])
      expect(img[b]!.map((e: { kind: string }) => e.kind)).toEqual(['eod']);
    const sets = await bed.tapir('catalog', 'save-sets', '--json');
    expect(JSON.stringify(sets.json)).not.toContain('"complete"');
  });

  it('an exhausted pool fails before writing anything, saying what to do', async () => {
    const before = await images();
    const r = await bed.tapir('job', 'run', 'fill', '--json');
    expect(r.code).toBe(1);
    const text = r.stdout + r.stderr;
    expect(text).toContain('pool default has no writable tape');
    expect(text).toMatch(
      /Move scratch tapes into the licensed slots, label or recycle a tape into pool default, or license more slots/,
    );
    expect(await images()).toEqual(before);
  });

  it('with no scratch tape anywhere, the error says to add scratch tapes or label/recycle one', async () => {
    // As `tapir media retire` would: the tapes beyond the licence are retired.
    sh('sqlite3', [
      join(bed.home, 'catalog.db'),
      "insert into media (id, kind, pool, state, files, bytes, created_at) values ('TAPE0004L6','tape','scratch','retired',0,0,'x'), ('TAPE0005L6','tape','scratch','retired',0,0,'x'), ('TAPE0006L6','tape','scratch','retired',0,0,'x')",
    ]);
    const before = await images();
    const r = await bed.tapir('job', 'run', 'fill', '--json');
    expect(r.code).toBe(1);
    const text = r.stdout + r.stderr;
    expect(text).toContain('TAPIR_E_POOL_EXHAUSTED');
    expect(text).toContain('pool default has no writable tape');
    expect(text).toContain('Add scratch tapes to the library, or label or recycle a tape into pool default');
    expect(text).toContain('TAPE0001L6 full (pool default)');
    expect(await images()).toEqual(before);
    // Nothing reached the catalog as a save set of this run.
    const runs = sh('sqlite3', [
      join(bed.home, 'catalog.db'),
      "select count(*) from save_sets where status = 'running'",
    ]).trim();
    expect(runs).toBe('0');
  });
});
