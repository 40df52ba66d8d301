/**
 * A tape's life through the real CLI against a private tgt VTL with 8 MB tapes: `tapir media label` (into a pool, as
 * scratch, and its refusals), a pool that runs out of tapes mid-job, automatic recycling of a tape whose retention
 * has passed, and `tapir media recycle --expired`.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { IscsiTransport, MediaChanger, TapeDrive } from '@tapir/devices';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sh, snapshot } from '../../../test/helpers/tree.js';
import { startTapeBed, type TapeBed } from './support.js';

const SMALL = { TAPE0001L6: 8, TAPE0002L6: 8, TAPE0003L6: 8, TAPE0004L6: 8 };
const MB = 1024 * 1024;

let bed: TapeBed;
let a: string;
let b: string;
const db = () => join(bed.home, 'catalog.db');
const sql = (query: string) => sh('sqlite3', [db(), query]).trim();

/** Random (incompressible) files adding up to `mb` MiB. */
async function tree(dir: string, mb: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < mb; i++) await writeFile(join(dir, `part-${i}.bin`), randomBytes(MB));
}

/** Loads a tape into drive 2 with a private session, runs `work` on the drive, and puts the tape back. */
async function withTape<T>(barcode: string, work: (drive: TapeDrive) => Promise<T>): Promise<T> {
  const transport = await IscsiTransport.connect(bed.vtl.url);
  try {
    const changer = await MediaChanger.open(transport, bed.vtl.changerLun);
    const slot = (await changer.find(barcode))!.address;
    await changer.move(slot, 2);
    try {
      const drive = await TapeDrive.open(transport, 2);
      await drive.waitReady();
      await drive.rewind();
      return await work(drive);
    } finally {
      await changer.move(2, slot);
    }
  } finally {
    await transport.close();
  }
}

/** The volume label at the beginning of a tape, parsed (undefined when the first block is not one). */
async function label(barcode: string): Promise<Record<string, unknown> | undefined> {
  return withTape(barcode, async (drive) => {
    const block = await drive.readBlock(65536);
    if (block.kind !== 'data') return undefined;
    const text = block.data.subarray(0, block.data.indexOf(0x0a)).toString('utf8');
    return text.startsWith('{"format":"tapir-volume-label"')
      ? (JSON.parse(text) as Record<string, unknown>)
      : undefined;
  });
}

beforeAll(async () => {
  bed = await startTapeBed({ tapeSizes: SMALL });
  a = join(bed.dir, 'a');
  b = join(bed.dir, 'b');
  await tree(a, 12);
  await tree(b, 6);
  await bed.configure(
    [
      '  a:',
      `    sources: [ { kind: files, paths: [${a}] } ]`,
      '    destination: tapes',
      '    level: full',
      '  b:',
      `    sources: [ { kind: files, paths: [${b}] } ]`,
      '    destination: tapes',
      '    level: full',
    ].join('\n'),
    '    retentionDays: 30',
  );
}, 180_000);

afterAll(async () => {
  await bed?.stop();
});

describe('tapir media label', () => {
  it('labels tapes into a pool and as scratch: the label is on the tape and in the catalog', async () => {
    const r = await bed.tapir('media', 'label', 'TAPE0003L6', '--destination', 'tapes', '--pool', 'other', '--json');
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.json.media).toEqual([expect.objectContaining({ id: 'TAPE0003L6', pool: 'other', state: 'append' })]);
    const s = await bed.tapir('media', 'label', 'TAPE0004L6', '--destination', 'tapes', '--pool', 'scratch', '--json');
    expect(s.code, s.stderr + s.stdout).toBe(0);
    expect(s.json.media[0]).toMatchObject({ id: 'TAPE0004L6', pool: 'scratch', state: 'scratch' });
    // Tape file 0 is the label, then a filemark and nothing else; the tape went back to its slot.
    for (const barcode of ['TAPE0003L6', 'TAPE0004L6']) {
      const img = await bed.vtl.show(barcode);
      expect(img.map((e) => e.kind)).toEqual(['data', 'filemark', 'eod']);
      expect(img[0]!.size).toBe(32768);
    }
    expect(await label('TAPE0003L6')).toMatchObject({ barcode: 'TAPE0003L6', pool: 'other', blockSize: 262144 });
    expect(await label('TAPE0004L6')).toMatchObject({ barcode: 'TAPE0004L6', pool: 'scratch' });
    expect(sql("select location from media where id = 'TAPE0003L6'")).toBe('slot 12');
  });

  it('refuses a tape with foreign data, a label the catalog does not know, a cleaning cartridge, a missing tape', async () => {
    // Foreign data: a tape written by something else is never overwritten without --force.
    await withTape('TAPE0002L6', async (drive) => {
      await drive.writeBlock(Buffer.alloc(65536, 0x5a));
      await drive.writeFilemarks(1);
    });
    const foreign = await bed.tapir('media', 'label', 'TAPE0002L6', '--destination', 'tapes', '--json');
    expect(foreign.code).toBe(1);
    expect(foreign.json.error.message).toContain(
      'TAPE0002L6 holds data that is not a tapir volume; not labelled (use --force to overwrite it)',
    );
    expect((await bed.vtl.show('TAPE0002L6')).map((e) => e.kind)).toEqual(['data', 'filemark', 'eod']);
    expect((await bed.vtl.show('TAPE0002L6'))[0]!.size).toBe(65536);
    // A tapir label this catalog has no record of (another installation's tape, or a lost catalog).
    sql("delete from media where id = 'TAPE0003L6'");
    const unknown = await bed.tapir('media', 'label', 'TAPE0003L6', '--destination', 'tapes', '--json');
    expect(unknown.code).toBe(1);
    expect(unknown.json.error.message).toContain(
      'carries a tapir label of pool other that this catalog has no record of (read it first: tapir media scan TAPE0003L6)',
    );
    const cleaning = await bed.tapir('media', 'label', 'CLN001L1', '--destination', 'tapes', '--json');
    expect(cleaning.code).toBe(1);
    expect(cleaning.json.error.message).toContain('CLN001L1 is a cleaning cartridge; it is never labelled');
    const missing = await bed.tapir('media', 'label', 'NOPE01L6', '--destination', 'tapes', '--json');
    expect(missing.code).toBe(1);
    expect(missing.json.error).toMatchObject({ code: 'TAPIR_E_NOT_FOUND' });
    expect(missing.json.error.message).toContain('NOPE01L6 is not in a storage slot of');
    // --force overwrites the foreign tape and the unknown label.
    const forced = await bed.tapir(
      'media',
      'label',
      'TAPE0002L6',
      '--destination',
      'tapes',
      '--pool',
      'scratch',
      '--force',
    );
    expect(forced.code, forced.stderr).toBe(0);
    expect(await label('TAPE0002L6')).toMatchObject({ pool: 'scratch' });
    const adopted = await bed.tapir(
      'media',
      'label',
      'TAPE0003L6',
      '--destination',
      'tapes',
      '--pool',
      'other',
      '--force',
    );
    expect(adopted.code, adopted.stderr).toBe(0);
    expect(sql("select pool, state from media where id = 'TAPE0003L6'")).toBe('other|append');
    // A scratch tape is relabelled into a pool without --force: nothing on it is lost.
    const relabel = await bed.tapir('media', 'label', 'TAPE0004L6', '--destination', 'tapes', '--pool', 'other');
    expect(relabel.code, relabel.stderr).toBe(0);
    expect(await label('TAPE0004L6')).toMatchObject({ pool: 'other' });
  });
});

describe('a pool that runs out of tapes', () => {
  let first: string;

  it('spans scratch tapes (relabelled into the pool), then fails cleanly when no tape is left', async () => {
    const r = await bed.tapir('job', 'run', 'a', '--json');
    expect(r.code, r.stderr + r.stdout).toBe(0);
    first = r.json.saveSets[0].saveSet;
    // Scratch tapes in slot order: the blank TAPE0001L6, then TAPE0002L6, labelled scratch above.
    expect(sql(`select medium_id from extents where save_set_id = '${first}' order by sequence`).split('\n')).toEqual([
      'TAPE0001L6',
      'TAPE0002L6',
    ]);
    expect(await label('TAPE0002L6')).toMatchObject({ pool: 'default' });
    // b does not fit in what is left on TAPE0002L6, and every other licensed tape is full and retained, or of another
    // pool; the blank tapes beyond the licence are named, not used.
    const full = await bed.tapir('job', 'run', 'b', '--json');
    expect(full.code).toBe(1);
    const text = full.stdout + full.stderr;
    expect(full.json.saveSets[0].error.code).toBe('TAPIR_E_LICENSE_LIMIT');
    expect(text).toContain(
      'TAPE0005L6 (slot 14), TAPE0006L6 (slot 15) could be used but sit in slots beyond the licence',
    );
    expect(text).toMatch(/TAPE0001L6 full \(pool default, retained until 20\d\d-/);
    expect(text).toContain('TAPE0003L6 append (pool other');
    expect(sql(`select status from save_sets where id = '${full.json.saveSets[0].saveSet}'`)).toBe('failed');
    // Nothing of a was touched: it is complete and verifies from tape.
    expect(sql(`select status from save_sets where id = '${first}'`)).toBe('complete');
    const verify = await bed.tapir('verify', first, '--json');
    expect(verify.code, verify.stderr + verify.stdout).toBe(0);
  });

  it('recycles a full tape of the pool once its retention has passed, expiring the save sets on it', async () => {
    // Thirty days later, as far as TAPE0001L6 is concerned.
    sql("update media set retain_until = '2026-01-01T00:00:00.000Z' where id = 'TAPE0001L6'");
    const labelledBefore = (await label('TAPE0001L6'))!.labelledAt as string;
    const r = await bed.tapir('job', 'run', 'b', '--json');
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const id = r.json.saveSets[0].saveSet as string;
    expect(sql(`select medium_id from extents where save_set_id = '${id}'`)).toBe('TAPE0001L6');
    // a had its first part on TAPE0001L6: it is expired, and restore refuses it instead of failing midway.
    expect(sql(`select status from save_sets where id = '${first}'`)).toBe('expired');
    const refused = await bed.tapir('restore', first, '--to', join(bed.dir, 'restore-a'), '--json');
    expect(refused.json.error.code).toBe('TAPIR_E_SAVE_SET_INCOMPLETE');
    // The tape was relabelled: a new label, then b's one file.
    const relabelled = (await label('TAPE0001L6'))!;
    expect(relabelled).toMatchObject({ barcode: 'TAPE0001L6', pool: 'default' });
    expect(String(relabelled.labelledAt) > labelledBefore).toBe(true);
    expect((await bed.vtl.show('TAPE0001L6')).filter((e) => e.kind === 'filemark')).toHaveLength(2);
    const events = (await bed.log()).filter((l) => l.media?.event === 'recycled').map((l) => l.media);
    expect(events).toEqual([
      expect.objectContaining({
        medium: 'TAPE0001L6',
        message: expect.stringContaining('was retained until 2026-01-01T00:00:00.000Z; recycled into pool default'),
      }),
    ]);
    const target = join(bed.dir, 'restore-b');
    const restored = await bed.tapir('restore', id, '--to', target, '--json');
    expect(restored.code, restored.stderr + restored.stdout).toBe(0);
    expect(await snapshot(join(target, b.slice(1)))).toEqual(await snapshot(b));
  });

  it('refuses to label a tape with complete save sets; --force expires them', async () => {
    const before = await bed.vtl.show('TAPE0001L6');
    const r = await bed.tapir('media', 'label', 'TAPE0001L6', '--destination', 'tapes', '--json');
    expect(r.code).toBe(1);
    expect(r.json.error.message).toContain('TAPE0001L6 still holds 1 complete save set(s)');
    expect(await bed.vtl.show('TAPE0001L6')).toEqual(before);
    const forced = await bed.tapir('media', 'label', 'TAPE0001L6', '--destination', 'tapes', '--force', '--json');
    expect(forced.code, forced.stderr).toBe(0);
    expect(sql("select count(*) from save_sets where status = 'complete'")).toBe('0');
    expect((await bed.vtl.show('TAPE0001L6')).map((e) => e.kind)).toEqual(['data', 'filemark', 'eod']);
  });

  it('media recycle --expired returns every append or full tape past its retention to scratch', async () => {
    sql("update media set retain_until = '2026-02-01T00:00:00.000Z' where id = 'TAPE0002L6'");
    // A retired tape past its retention stays retired: only a named recycle brings it back.
    expect((await bed.tapir('media', 'retire', 'TAPE0003L6')).code).toBe(0);
    sql("update media set retain_until = '2026-02-01T00:00:00.000Z' where id = 'TAPE0003L6'");
    const r = await bed.tapir('media', 'recycle', '--expired', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.recycled).toEqual([{ medium: 'TAPE0002L6', was: 'full', expired: [] }]);
    expect(sql("select pool, state, retain_until is null from media where id = 'TAPE0002L6'")).toBe(
      'scratch|scratch|1',
    );
    expect(sql("select state from media where id = 'TAPE0003L6'")).toBe('retired');
    const again = await bed.tapir('media', 'recycle', '--expired', '--json');
    expect(again.json.recycled).toEqual([]);
  });
});
