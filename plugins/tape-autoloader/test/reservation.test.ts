/**
 * Drive reservation through the real CLI: with one drive configured, a job waits for a drive another process holds
 * and fails after `reserveTimeoutSeconds` with a clear error; a lock left by a dead process is taken over; two jobs
 * started together share the drive one after the other.
 */
import { spawn } from 'node:child_process';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sh } from '../../../test/helpers/tree.js';
import { startTapeBed, type TapeBed } from './support.js';

let bed: TapeBed;
let lockFile: string;

beforeAll(async () => {
  bed = await startTapeBed({});
  for (const name of ['a', 'b']) {
    const dir = join(bed.dir, name);
    await mkdir(dir);
    for (let i = 0; i < 10; i++) await writeFile(join(dir, `f${i}.txt`), `${name} ${i}\n`.repeat(100_000));
  }
  const destination = (timeout: number) =>
    [
      `  one-drive-${timeout}:`,
      '    kind: tape',
      `    changer: { url: ${bed.vtl.url}, lun: ${bed.vtl.changerLun}, drives: { '1': { lun: 1 } } }`,
      `    reserveTimeoutSeconds: ${timeout}`,
    ].join('\n');
  await bed.configure(
    [
      '  a:',
      `    sources: [ { kind: files, paths: [${join(bed.dir, 'a')}] } ]`,
      '    destination: one-drive-60',
      '  b:',
      `    sources: [ { kind: files, paths: [${join(bed.dir, 'b')}] } ]`,
      '    destination: one-drive-60',
      '  impatient:',
      `    sources: [ { kind: files, paths: [${join(bed.dir, 'a')}] } ]`,
      '    destination: one-drive-2',
    ].join('\n'),
    [destination(60), destination(2)].join('\n'),
  );
  const prefix = `127.0.0.1:${bed.vtl.port}/${bed.vtl.targetName}/${bed.vtl.changerLun}-drive-1`;
  lockFile = join(bed.home, 'locks', `${prefix.replace(/[^A-Za-z0-9._-]+/g, '_')}.lock`);
}, 180_000);

afterAll(async () => {
  await bed?.stop();
});

describe('drive reservation', () => {
  it('waits for a drive held by a live process, then fails after reserveTimeoutSeconds', async () => {
    await mkdir(join(bed.home, 'locks'), { recursive: true });
    const holder = spawn('sleep', ['60']);
    try {
      await writeFile(
        lockFile,
        JSON.stringify({ pid: holder.pid, job: 'someone-else', since: new Date().toISOString() }),
      );
      const started = Date.now();
      const r = await bed.tapir('job', 'run', 'impatient', '--json');
      expect(r.code).toBe(1);
      expect(Date.now() - started).toBeGreaterThan(2000);
      const text = r.stdout + r.stderr;
      expect(text).toContain('TAPIR_E_DRIVE_BUSY');
      expect(text).toMatch(
        /no drive of .* free within 2 s \(reserveTimeoutSeconds\): held by .*job someone-else, pid \d+/,
      );
      const log = await bed.log();
      expect(log.map((l) => l.msg)).toContainEqual(expect.stringContaining('waiting up to 2 s for a drive of'));
    } finally {
      holder.kill();
    }
  });

  it('takes over a lock whose process is gone', async () => {
    const dead = spawn('true');
    await new Promise((r) => dead.on('exit', r));
    await writeFile(lockFile, JSON.stringify({ pid: dead.pid, job: 'crashed', since: new Date().toISOString() }));
    const r = await bed.tapir('job', 'run', 'impatient', '--json');
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(await readdir(join(bed.home, 'locks'))).toEqual([]);
  });

  it('two jobs started together take turns on the one drive; both complete', async () => {
    const [ra, rb] = await Promise.all([
      bed.tapir('job', 'run', 'a', '--json'),
      bed.tapir('job', 'run', 'b', '--json'),
    ]);
    expect(ra.code, ra.stderr + ra.stdout).toBe(0);
    expect(rb.code, rb.stderr + rb.stdout).toBe(0);
    const files = sh('sqlite3', [
      join(bed.home, 'catalog.db'),
      "select medium_id || ':' || json_extract(location, '$.file') from extents order by 1",
    ])
      .trim()
      .split('\n');
    // Three save sets (impatient, a, b) in distinct files of the first tape, none overwritten.
    expect(files).toEqual(['TAPE0001L6:1', 'TAPE0001L6:2', 'TAPE0001L6:3']);
  });

  it('waits while the drive is held and goes on once it is free', async () => {
    // The holder lives until the job has said it waits for it: no race with how fast the CLI starts.
    const holder = spawn('sleep', ['120']);
    await writeFile(lockFile, JSON.stringify({ pid: holder.pid, job: 'brief', since: new Date().toISOString() }));
    const running = bed.tapir('job', 'run', 'b', '--json');
    const waiting = /waiting up to 60 s for a drive of .*job brief, pid/;
    const deadline = Date.now() + 60_000;
    try {
      while (!(await bed.log()).some((l) => waiting.test(String(l.msg)))) {
        if (Date.now() > deadline) throw new Error('the job never said it was waiting for the drive');
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      holder.kill('SIGKILL');
    }
    const r = await running;
    expect(r.code, r.stderr + r.stdout).toBe(0);
  });
});

describe('a changer named in devices:', () => {
  it('is resolved from the configuration, drives named there included, for backup and restore', async () => {
    await writeFile(
      bed.config,
      [
        'version: 1',
        'devices:',
        '  lib1:',
        '    kind: iscsi-changer',
        `    url: ${bed.vtl.url}`,
        `    lun: ${bed.vtl.changerLun}`,
        "    drives: { '1': drive1, '2': { lun: 2 } }",
        '  drive1:',
        '    kind: iscsi-tape',
        `    url: ${bed.vtl.url}/1`,
        'destinations:',
        '  named: { kind: tape, changer: lib1, pool: named }',
        'jobs:',
        '  named:',
        `    sources: [ { kind: files, paths: [${join(bed.dir, 'b')}] } ]`,
        '    destination: named',
        '',
      ].join('\n'),
    );
    const r = await bed.tapir('job', 'run', 'named', '--json');
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const id = r.json.saveSets[0].saveSet as string;
    expect(
      sh('sqlite3', [join(bed.home, 'catalog.db'), `select destination from save_sets where id = '${id}'`]),
    ).toContain('"changer":"lib1"');
    const restore = await bed.tapir('restore', id, '--to', join(bed.dir, 'restore-named'), '--json');
    expect(restore.code, restore.stderr + restore.stdout).toBe(0);
    await writeFile(
      bed.config,
      [
        'version: 1',
        'jobs:',
        '  x:',
        `    sources: [ { kind: files, paths: [${bed.dir}] } ]`,
        '    destination: { kind: tape, changer: nolib }',
        '',
      ].join('\n'),
    );
    const bad = await bed.tapir('job', 'run', 'x', '--json');
    expect(bad.code).not.toBe(0);
    expect(bad.json.error).toMatchObject({ code: 'TAPIR_E_CONFIG_INVALID', context: { device: 'nolib' } });
    expect(bad.json.error.message).toContain('changer "nolib" is not an iscsi-changer in devices:');
  });
});

describe('two streams', () => {
  it('write two save sets at once on two drives and two tapes', async () => {
    await bed.configure(
      [
        '  both:',
        `    sources: [ { kind: files, paths: [${join(bed.dir, 'a')}] }, { kind: files, paths: [${join(bed.dir, 'b')}] } ]`,
        '    destination: two',
        '    streams: 2',
        '    level: full',
      ].join('\n'),
      [
        '  two:',
        '    kind: tape',
        `    changer: { url: ${bed.vtl.url}, lun: ${bed.vtl.changerLun}, drives: { '1': { lun: 1 }, '2': { lun: 2 } } }`,
        '    pool: two',
        '    retentionDays: 30',
      ].join('\n'),
    );
    const r = await bed.tapir('job', 'run', 'both', '--json');
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const ids = r.json.saveSets.map((s: { saveSet: string }) => s.saveSet) as string[];
    expect(ids).toHaveLength(2);
    const media = ids.map((id) =>
      sh('sqlite3', [join(bed.home, 'catalog.db'), `select medium_id from extents where save_set_id = '${id}'`]).trim(),
    );
    expect(new Set(media).size).toBe(2);
    const log = await bed.log();
    const loads = log
      .map((l) => String(l.msg))
      .filter((m) => /^loading .* into drive [12]$/.test(m))
      .slice(-2);
    expect(loads.map((m) => m.slice(-7)).sort()).toEqual(['drive 1', 'drive 2']);
    // retentionDays: each tape written is kept at least 30 days, and recycling it is refused until then.
    const shown = await bed.tapir('media', 'show', media[0]!, '--json');
    const days = (Date.parse(shown.json.medium.retainUntil) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThanOrEqual(30);
    const recycle = await bed.tapir('media', 'recycle', media[0]!, '--json');
    expect(recycle.code).toBe(1);
    expect(recycle.json.error.message).toContain(`is retained until ${shown.json.medium.retainUntil}`);
    for (const id of ids) {
      const restore = await bed.tapir('restore', id, '--to', join(bed.dir, `restore-${id}`), '--json');
      expect(restore.code, restore.stderr + restore.stdout).toBe(0);
    }
    // Forcing it: the save sets on the tape expire in the catalog, and restoring one is refused.
    const forced = await bed.tapir('media', 'recycle', media[0]!, '--force', '--json');
    expect(forced.code, forced.stderr).toBe(0);
    const lost = forced.json.recycled[0].expired as string[];
    expect(lost.length).toBeGreaterThan(0);
    const expired = await bed.tapir('catalog', 'save-sets', '--status', 'expired', '--json');
    expect(expired.json.saveSets.map((x: { id: string }) => x.id).sort()).toEqual([...lost].sort());
    const refused = await bed.tapir('restore', lost[0]!, '--to', join(bed.dir, 'restore-expired'), '--json');
    expect(refused.code).toBe(1);
    expect(refused.json.error.code).toBe('TAPIR_E_SAVE_SET_INCOMPLETE');
  });
});
