/**
 * The `tape` destination through the real CLI against a private tgt VTL with 8 MB tapes: a save set spans three
 * tapes and restores byte for byte; a second job appends to the same pool; GNU tar reads a tape file read raw;
 * `tapir verify` re-reads from tape.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { IscsiTransport, MediaChanger, TapeDrive } from '@tapir/devices';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentOnly, makeTree, sh, snapshot } from '../../../test/helpers/tree.js';
import { cli } from '../../../test/helpers/cli.js';
import { startTapeBed, type TapeBed } from './support.js';

const SMALL_TAPES = { TAPE0001L6: 8, TAPE0002L6: 8, TAPE0003L6: 8 };

let bed: TapeBed;
let big: string;
let small: string;
let first: { saveSet: string };
let second: { saveSet: string };

beforeAll(async () => {
  bed = await startTapeBed({ tapeSizes: SMALL_TAPES });
  big = join(bed.dir, 'big');
  small = join(bed.dir, 'small');
  await makeTree(big, { bigFileBytes: 17 * 1024 * 1024 });
  await mkdir(join(small, 'docs'), { recursive: true });
  for (let i = 0; i < 20; i++) await writeFile(join(small, 'docs', `note-${i}.txt`), `note ${i}\n`.repeat(5000 + i));
  await bed.configure(
    [
      '  big:',
      `    sources: [ { kind: files, paths: [${big}] } ]`,
      '    destination: tapes',
      '    level: full',
      '  small:',
      `    sources: [ { kind: files, paths: [${small}] } ]`,
      '    destination: tapes',
      '    level: full',
    ].join('\n'),
  );
}, 180_000);

afterAll(async () => {
  await bed?.stop();
});

describe('a file tree larger than a tape', () => {
  it('spans three tapes, each part an extent of its own tape file', async () => {
    const started = Date.now();
    const r = await bed.tapir('job', 'run', 'big', '--json');
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const seconds = (Date.now() - started) / 1000;
    first = r.json.saveSets[0];
    expect(first).toMatchObject({ status: 'complete' });
    const sets = await bed.tapir('catalog', 'save-sets', '--json');
    expect(sets.code, sets.stderr).toBe(0);
    // The extents, from the catalog database as the restore reads them.
    const extents = sh('sqlite3', [
      join(bed.home, 'catalog.db'),
      `select sequence, medium_id, location, bytes from extents where save_set_id = '${first.saveSet}' order by sequence`,
    ])
      .trim()
      .split('\n')
      .map((l) => l.split('|'));
    expect(extents.map((e) => e[1])).toEqual(['TAPE0001L6', 'TAPE0002L6', 'TAPE0003L6']);
    // On the second and third tape a continuation marker (tape file 1) comes before the part (tape file 2).
    expect(extents.map((e) => JSON.parse(e[2]!))).toEqual([
      { file: 1, blockSize: 262144 },
      { file: 2, blockSize: 262144 },
      { file: 2, blockSize: 262144 },
    ]);
    const total = extents.reduce((n, e) => n + Number(e[3]), 0);
    console.log(
      `spanning job: ${(total / 1e6).toFixed(1)} MB in ${seconds.toFixed(1)} s, ${(total / 1e6 / seconds).toFixed(1)} MB/s (with CLI start-up and three tape changes)`,
    );
    // What reached the tapes: label file, one data file, filemarks; the first two tapes are past their size.
    for (const [barcode, marker] of [
      ['TAPE0001L6', false],
      ['TAPE0002L6', true],
    ] as const) {
      const img = await bed.vtl.show(barcode);
      const kinds = img.map((b) => b.kind);
      expect(kinds.filter((k) => k === 'filemark')).toHaveLength(marker ? 3 : 2);
      expect(img[0]).toMatchObject({ kind: 'data', size: 32768 });
      if (marker) {
        expect(img.slice(1, 4).map((b) => b.kind)).toEqual(['filemark', 'data', 'filemark']);
        expect(img[2]!.size).toBe(4096);
      }
      expect(
        img
          .filter((b) => b.kind === 'data')
          .slice(marker ? 2 : 1)
          .every((b) => b.size === 262144),
      ).toBe(true);
    }
    // The media records: the first two full, the third open for appending; CLN001L1 sits beyond the licensed slots.
    const media = sh('sqlite3', [join(bed.home, 'catalog.db'), 'select id, pool, state, files from media order by id'])
      .trim()
      .split('\n');
    expect(media).toEqual(['TAPE0001L6|default|full|1', 'TAPE0002L6|default|full|2', 'TAPE0003L6|default|append|2']);
    const log = await bed.log();
    const events = log.filter((l) => l.media).map((l) => `${l.media.event} ${l.media.medium}`);
    expect(events).toEqual([
      'labelled TAPE0001L6',
      'full TAPE0001L6',
      'labelled TAPE0002L6',
      'full TAPE0002L6',
      'labelled TAPE0003L6',
    ]);
  });

  it('restores byte for byte with metadata', async () => {
    const target = join(bed.dir, 'restore-big');
    const r = await bed.tapir('restore', first.saveSet, '--to', target, '--json');
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(await snapshot(join(target, big.slice(1)))).toEqual(await snapshot(big));
  });
});

describe('a second job on the same pool', () => {
  it('appends after the first save set on the last tape', async () => {
    const r = await bed.tapir('job', 'run', 'small', '--json');
    expect(r.code, r.stderr + r.stdout).toBe(0);
    second = r.json.saveSets[0];
    const row = sh('sqlite3', [
      join(bed.home, 'catalog.db'),
      `select medium_id, location from extents where save_set_id = '${second.saveSet}'`,
    ]).trim();
    expect(row).toBe('TAPE0003L6|{"file":3,"blockSize":262144}');
    const img = await bed.vtl.show('TAPE0003L6');
    expect(img.filter((b) => b.kind === 'filemark')).toHaveLength(4);
  });

  it('both save sets restore', async () => {
    const a = join(bed.dir, 'restore-big-2');
    const b = join(bed.dir, 'restore-small');
    expect((await bed.tapir('restore', first.saveSet, '--to', a, '--json')).code).toBe(0);
    expect((await bed.tapir('restore', second.saveSet, '--to', b, '--json')).code).toBe(0);
    expect(contentOnly(await snapshot(join(a, big.slice(1))))).toEqual(contentOnly(await snapshot(big)));
    expect(await snapshot(join(b, small.slice(1)))).toEqual(await snapshot(small));
  });

  it('tapir verify re-reads both from tape', async () => {
    const r = await bed.tapir('verify', '--all', '--json');
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.json.ok).toBe(true);
    expect(r.json.saveSets.map((v: { saveSet: string; ok: boolean }) => [v.saveSet, v.ok])).toEqual(
      expect.arrayContaining([
        [first.saveSet, true],
        [second.saveSet, true],
      ]),
    );
    expect(
      r.json.saveSets.every((v: { verified: number; damaged: unknown[] }) => v.verified > 0 && v.damaged.length === 0),
    ).toBe(true);
  });
});

describe('recovery without the catalog', () => {
  it('catalog rebuild on an empty catalog finds both save sets on the tapes, and restore works from it', async () => {
    const home = join(bed.dir, 'fresh-home');
    const fresh = (...args: string[]) => cli([...args, '--config', bed.config], { home });
    const r = await fresh('catalog', 'rebuild', '--destination', 'tapes', '--json');
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const imported = JSON.stringify(r.json);
    expect(imported).toContain(first.saveSet);
    expect(imported).toContain(second.saveSet);
    expect(imported).not.toMatch(/"(incomplete|orphan|unreadable)"/);
    const target = join(bed.dir, 'restore-rebuilt');
    const restore = await fresh('restore', first.saveSet, '--to', target, '--json');
    expect(restore.code, restore.stderr + restore.stdout).toBe(0);
    expect(await snapshot(join(target, big.slice(1)))).toEqual(await snapshot(big));
    const verify = await fresh('verify', '--all', '--json');
    expect(verify.code, verify.stderr + verify.stdout).toBe(0);
  });
});

describe('tapir media scan', () => {
  it('reads only the tapes named; a save set with a part on a tape not read is left out until it is', async () => {
    const home = join(bed.dir, 'scan-home');
    const fresh = (...args: string[]) => cli([...args, '--config', bed.config], { home });
    const one = await fresh('media', 'scan', 'TAPE0003L6', '--destination', 'tapes', '--json');
    expect(one.code, one.stderr + one.stdout).toBe(0);
    expect(one.json.results.map((r: { saveSet: string; outcome: string }) => [r.saveSet, r.outcome])).toEqual([
      [second.saveSet, 'imported'],
    ]);
    const media = await fresh('media', 'list', '--json');
    expect(media.json.media.map((m: { id: string }) => m.id)).toEqual(['TAPE0003L6']);
    const all = await fresh(
      'media',
      'scan',
      'TAPE0001L6',
      'TAPE0002L6',
      'TAPE0003L6',
      '--destination',
      'tapes',
      '--json',
    );
    expect(all.code, all.stderr + all.stdout).toBe(0);
    expect(all.json.results.map((r: { saveSet: string; outcome: string }) => [r.saveSet, r.outcome]).sort()).toEqual(
      [
        [first.saveSet, 'imported'],
        [second.saveSet, 'present'],
      ].sort(),
    );
    const restore = await fresh('restore', first.saveSet, '--to', join(bed.dir, 'restore-scanned'), '--json');
    expect(restore.code, restore.stderr + restore.stdout).toBe(0);
    const missing = await fresh('media', 'scan', 'TAPE0009L6', '--destination', 'tapes', '--json');
    expect(missing.code).toBe(1);
    expect(missing.json.error.message).toContain('tape TAPE0009L6 is needed but is not in the library');
  });
});

describe('recovery with GNU tar alone', () => {
  it('a save set read raw from its tape file lists and extracts with tar', async () => {
    const transport = await IscsiTransport.connect(bed.vtl.url);
    const raw = join(bed.dir, 'raw.tar');
    try {
      const changer = await MediaChanger.open(transport, bed.vtl.changerLun);
      const slot = (await changer.find('TAPE0003L6'))!.address;
      await changer.move(slot, 1);
      const drive = await TapeDrive.open(transport, 1);
      await drive.waitReady();
      await drive.rewind();
      await drive.spaceFilemarks(3);
      const out = await open(raw, 'w');
      for (;;) {
        const block = await drive.readBlock(262144);
        if (block.kind !== 'data') break;
        await out.write(block.data);
      }
      await out.close();
      await drive.unload();
      await changer.move(1, slot);
    } finally {
      await transport.close();
    }
    const listing = sh('tar', ['tf', raw]).split('\n');
    expect(listing[0]).toBe('.tapir-saveset/header.json');
    expect(listing).toContain(`${small.slice(1)}/docs/note-7.txt`);
    const out = join(bed.dir, 'tar-out');
    sh('mkdir', ['-p', out]);
    expect(sh('sh', ['-c', `tar -xpf '${raw}' -C '${out}' 2>&1`])).toBe('');
    expect(contentOnly(await snapshot(join(out, small.slice(1))))).toEqual(contentOnly(await snapshot(small)));
    const hash = (s: Record<string, { sha256?: string }>) =>
      createHash('sha256').update(JSON.stringify(s)).digest('hex');
    expect(hash(contentOnly(await snapshot(join(out, small.slice(1)))))).toBe(hash(contentOnly(await snapshot(small))));
  });
});

describe('a restore that needs a tape the library does not hold', () => {
  it('names the tape, emits `needed`, and works again once the tape is back', async () => {
    const transport = await IscsiTransport.connect(bed.vtl.url);
    const changer = await MediaChanger.open(transport, bed.vtl.changerLun);
    const home = (await changer.find('TAPE0002L6'))!.address;
    // Taken out through the import/export slot, as an operator would.
    await changer.move(home, bed.vtl.addresses.importExport);
    try {
      const target = join(bed.dir, 'restore-needed');
      const r = await bed.tapir('restore', first.saveSet, '--to', target, '--json');
      expect(r.code).toBe(1);
      expect(r.stdout + r.stderr).toMatch(/tape TAPE0002L6 is needed and sits in the import\/export slot 8/);
      const log = await bed.log();
      expect(log.filter((l) => l.media?.event === 'needed').map((l) => l.media.medium)).toContain('TAPE0002L6');
    } finally {
      await changer.move(bed.vtl.addresses.importExport, home);
      await transport.close();
    }
    const again = await bed.tapir('restore', first.saveSet, '--to', join(bed.dir, 'restore-again'), '--json');
    expect(again.code, again.stderr + again.stdout).toBe(0);
  });
});

describe('tapir media', () => {
  it('lists and shows the tapes, refuses to recycle one with save sets, retires it, and the pool moves on', async () => {
    const list = await bed.tapir('media', 'list', '--json');
    expect(list.code, list.stderr + list.stdout).toBe(0);
    expect(list.json.media.map((m: { id: string; state: string }) => `${m.id} ${m.state}`)).toEqual([
      'TAPE0001L6 full',
      'TAPE0002L6 full',
      'TAPE0003L6 append',
    ]);
    const show = await bed.tapir('media', 'show', 'TAPE0003L6', '--json');
    expect(show.code, show.stderr + show.stdout).toBe(0);
    expect(show.json.label).toMatchObject({ format: 'tapir-volume-label', barcode: 'TAPE0003L6', pool: 'default' });
    expect(show.json.saveSets.map((s: { id: string; file: number }) => [s.id, s.file])).toEqual([
      [second.saveSet, 3],
      [first.saveSet, 2],
    ]);
    const recycle = await bed.tapir('media', 'recycle', 'TAPE0003L6', '--json');
    expect(recycle.code).toBe(1);
    expect(recycle.stdout + recycle.stderr).toContain('still holds 2 complete save set(s)');
    const retire = await bed.tapir('media', 'retire', 'TAPE0003L6', '--json');
    expect(retire.code, retire.stderr + retire.stdout).toBe(0);
    // With TAPE0003L6 retired, the next save set goes to a new scratch tape, labelled into the pool.
    const r = await bed.tapir('job', 'run', 'small', '--json');
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const after = await bed.tapir('media', 'list', '--pool', 'default', '--json');
    expect(after.json.media.map((m: { id: string; state: string }) => `${m.id} ${m.state}`)).toEqual([
      'TAPE0001L6 full',
      'TAPE0002L6 full',
      'TAPE0003L6 retired',
      'TAPE0004L6 append',
    ]);
  });
});

describe('tapir media sync', () => {
  it('records where the tapes are, and which ones left the library', async () => {
    const changerUrl = `${bed.vtl.url}/${bed.vtl.changerLun}`;
    const transport = await IscsiTransport.connect(bed.vtl.url);
    const changer = await MediaChanger.open(transport, bed.vtl.changerLun);
    try {
      await changer.move(10, bed.vtl.addresses.importExport);
      const r = await bed.tapir('media', 'sync', changerUrl, '--json');
      expect(r.code, r.stderr + r.stdout).toBe(0);
      const changes = r.json.changes.map((c: { barcode: string; location: string }) => `${c.barcode} ${c.location}`);
      expect(changes).toContain('TAPE0001L6 import/export slot 8');
      expect(changes).toContain('CLN001L1 slot 16');
      const show = await bed.tapir('media', 'show', 'CLN001L1', '--json');
      expect(show.json.medium.state).toBe('cleaning');
    } finally {
      await changer.move(bed.vtl.addresses.importExport, 10);
      await transport.close();
    }
    const back = await bed.tapir('media', 'sync', changerUrl, '--json');
    const moved = back.json.changes.filter((c: { change: string }) => c.change.startsWith('moved'));
    expect(moved.map((c: { barcode: string; location: string }) => `${c.barcode} ${c.location}`)).toEqual([
      'TAPE0001L6 slot 10',
    ]);
  });
});

describe('a restore that needs a tape in a slot beyond the licence', () => {
  it('fails naming the tape, the slot and the licence feature', async () => {
    const transport = await IscsiTransport.connect(bed.vtl.url);
    const changer = await MediaChanger.open(transport, bed.vtl.changerLun);
    await changer.move(10, 17);
    try {
      const r = await bed.tapir('restore', first.saveSet, '--to', join(bed.dir, 'restore-unlicensed'), '--json');
      expect(r.code).toBe(1);
      expect(r.json.error.code).toBe('TAPIR_E_LICENSE_LIMIT');
      expect(r.json.error.message).toBe(
        'tape TAPE0001L6 is needed but sits in slot 17, beyond the 4 slots the licence allows (autoloader.slots): move it into slots 10–13 or license more slots',
      );
    } finally {
      await changer.move(17, 10);
      await transport.close();
    }
  });
});

describe('tapir media export and import', () => {
  it('take a tape out through the import/export slot and back into a free licensed slot', async () => {
    const changerUrl = `${bed.vtl.url}/${bed.vtl.changerLun}`;
    const out = await bed.tapir('media', 'export', 'TAPE0002L6', '--changer', changerUrl, '--json');
    expect(out.code, out.stderr + out.stdout).toBe(0);
    expect(out.json.exported).toEqual([{ barcode: 'TAPE0002L6', from: 11, to: 8 }]);
    expect((await bed.tapir('media', 'show', 'TAPE0002L6', '--json')).json.medium.location).toBe(
      'import/export slot 8',
    );
    const restore = await bed.tapir('restore', first.saveSet, '--to', join(bed.dir, 'restore-exported'), '--json');
    expect(restore.code).toBe(1);
    expect(restore.json.error.message).toContain('tape TAPE0002L6 is needed and sits in the import/export slot 8');
    const back = await bed.tapir('media', 'import', '--changer', changerUrl, '--json');
    expect(back.code, back.stderr + back.stdout).toBe(0);
    expect(back.json).toMatchObject({ licensed: 4, imported: [{ barcode: 'TAPE0002L6', from: 8, to: 11 }], left: [] });
    expect((await bed.tapir('media', 'show', 'TAPE0002L6', '--json')).json.medium.location).toBe('slot 11');
  });
});
