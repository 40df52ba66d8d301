import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Catalog } from '../src/catalog/Catalog.js';
import { catalogMigrations } from '../src/catalog/migrations.js';
import { FORMAT_NAME, FORMAT_VERSION, type ManifestItem, type SaveSetHeader } from '../src/format/saveSetFormat.js';

/** Items in walk order, which is not path order: a directory, then entries whose byte order differs. */
function items(count: number, prefix: string): ManifestItem[] {
  const out: ManifestItem[] = [{ path: prefix, type: 'directory', mode: 0o40755, mtimeNs: '1795362996721124813' }];
  for (let i = 1; i < count; i++) {
    // Names that sort differently as UTF-8 bytes and as UTF-16 units, a quote, a control character, a long size.
    const name = i % 4 === 0 ? `\u{1F600}-${i}` : i % 4 === 1 ? `\uFF21-${i}` : i % 4 === 2 ? `q"${i}\u0001` : `f${i}`;
    out.push({
      path: `${prefix}/${name}`,
      type: 'file',
      mode: 0o100644,
      size: 2 ** 40 + i,
      mtimeNs: String(1795362996721124813n + BigInt(i)),
      hash: `blake3:${i.toString(16).padStart(64, '0')}`,
      changeToken: `${i}:4096:1795362996721124813`,
      members: [{ offset: i * 1536, size: 1024 }],
    });
  }
  return out;
}

/** A save set's rows of `item_pages`, in page order. */
function pagesOf(catalog: Catalog, id: string) {
  return catalog.db
    .selectFrom('item_pages')
    .select(['page', 'records'])
    .where('save_set_id', '=', id)
    .orderBy('page')
    .execute();
}

const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

function header(id: string, job = 'nightly'): SaveSetHeader {
  return {
    format: FORMAT_NAME,
    version: FORMAT_VERSION,
    id,
    job,
    object: 'files:/data',
    level: 'full',
    startedAt: new Date().toISOString(),
    hash: 'blake3',
    transforms: [],
    segmentSize: 8 << 20,
    writer: 'test',
  };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tapir-catalog-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('catalog items, kept as pages of manifest records', () => {
  it('adds pages of 256 records across calls, in order, and reads them back through the items view', async () => {
    const catalog = await Catalog.open(join(dir, 'catalog.db'));
    try {
      const runId = await catalog.beginRun('nightly');
      const id = '00000000-0000-4000-8000-000000000001';
      await catalog.createSaveSet({ header: header(id), runId, destination: { kind: 'disk', options: {} } });
      const all = items(310, 'data');
      // As a backup adds them (records already serialised), then as a catalog rebuild does (records made here).
      await catalog.addItems(
        id,
        all.slice(0, 300),
        all.slice(0, 300).map((item) => JSON.stringify(item)),
      );
      await catalog.addItems(id, all.slice(300));

      const pages = await pagesOf(catalog, id);
      expect(pages.map((p) => p.page)).toEqual([0, 1, 2]);
      expect(pages.map((p) => (JSON.parse(p.records) as unknown[]).length)).toEqual([256, 44, 10]);
      expect(pages.flatMap((p) => JSON.parse(p.records) as ManifestItem[])).toEqual(all);

      const listed = await catalog.listItems({ saveSet: id });
      expect(listed.map((i) => i.path)).toEqual(all.map((i) => i.path).sort(byteOrder));
      expect(listed.find((i) => i.path === all[7]!.path)).toEqual({ ...all[7], saveSet: id });

      const view = await catalog.db
        .selectFrom('items')
        .selectAll()
        .where('save_set_id', '=', id)
        .where('path', '=', all[9]!.path)
        .executeTakeFirstOrThrow();
      expect(view).toEqual({
        save_set_id: id,
        path: all[9]!.path,
        type: 'file',
        size: 2 ** 40 + 9,
        mtime_ns: all[9]!.mtimeNs,
        hash: all[9]!.hash,
        data_save_set_id: null,
        change_token: all[9]!.changeToken,
        record: JSON.stringify(all[9]),
      });

      const parents = await catalog.parentItems(id);
      expect(parents.size).toBe(310);
      expect(parents.get(all[5]!.path)).toEqual({
        changeToken: all[5]!.changeToken,
        record: all[5],
        dataSaveSet: id,
      });
      expect(parents.get('data')?.changeToken).toBeNull();

      expect((await catalog.listItems({ saveSet: id, path: '*q"1*' })).map((i) => i.path)).toEqual(
        all
          .map((i) => i.path)
          .filter((p) => p.includes('q"1'))
          .sort(byteOrder),
      );
      expect((await catalog.listSaveSets({ path: '*\u{1F600}-300' })).map((s) => s.id)).toEqual([id]);
      expect(await catalog.listSaveSets({ path: '*nothing-like-this*' })).toEqual([]);

      // Across the complete save sets of a job: none while it is running, its items once it is complete.
      expect(await catalog.listItems({ job: 'nightly', path: '*f30*' })).toEqual([]);
      await catalog.completeSaveSet(id, [], { items: all.length, bytes: 0, storedBytes: 0 });
      expect((await catalog.listItems({ job: 'nightly', path: '*f30*' })).map((i) => [i.path, i.saveSet])).toEqual(
        all
          .map((i) => i.path)
          .filter((p) => p.includes('f30'))
          .sort(byteOrder)
          .map((p) => [p, id]),
      );
    } finally {
      await catalog.close();
    }
  });

  it('migrates a catalog of one row per item into pages with every record as it was, and back', async () => {
    const path = join(dir, 'catalog.db');
    // A catalog as migration 0002 left it, with items of two save sets added in walk order.
    const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new Database(path) }) });
    const migrator = new Migrator({ db, provider: catalogMigrations });
    expect((await migrator.migrateTo('0002_media_usage')).error).toBeUndefined();
    const sets = {
      '00000000-0000-4000-8000-00000000000a': items(600, 'a'),
      '00000000-0000-4000-8000-00000000000b': items(3, 'b'),
    };
    await db.insertInto('jobs').values({ id: 1, name: 'nightly', created_at: 'now' }).execute();
    await db
      .insertInto('runs')
      .values({ id: 1, job_id: 1, started_at: 'now', status: 'ok', pid: 1, host: 'h' })
      .execute();
    const records = new Map<string, string[]>();
    for (const [id, list] of Object.entries(sets)) {
      await db
        .insertInto('save_sets')
        .values({
          id,
          run_id: 1,
          job_id: 1,
          object: 'files:/data',
          level: 'full',
          status: 'complete',
          destination: '{}',
          header: JSON.stringify(header(id)),
          started_at: id,
        })
        .execute();
      records.set(
        id,
        list.map((item) => JSON.stringify(item)),
      );
      for (const item of list)
        await db
          .insertInto('items')
          .values({
            save_set_id: id,
            path: item.path,
            type: item.type,
            size: item.size ?? null,
            mtime_ns: item.mtimeNs ?? null,
            hash: item.hash ?? null,
            data_save_set_id: null,
            change_token: item.changeToken ?? null,
            record: JSON.stringify(item),
          })
          .execute();
    }
    await db.destroy();

    const catalog = await Catalog.open(path);
    try {
      for (const [id, list] of Object.entries(sets)) {
        const pages = await pagesOf(catalog, id);
        // The text of every record unchanged, in the order the rows were added, 256 to a page.
        const expected = records.get(id)!;
        expect(pages.map((p) => p.page)).toEqual(Array.from({ length: Math.ceil(expected.length / 256) }, (_, i) => i));
        expect(pages.map((p) => p.records)).toEqual(
          pages.map((p) => `[${expected.slice(p.page * 256, p.page * 256 + 256).join(',')}]`),
        );
        expect((await catalog.listItems({ saveSet: id })).map((i) => i.path)).toEqual(
          list.map((i) => i.path).sort(byteOrder),
        );
        expect((await catalog.parentItems(id)).size).toBe(list.length);
      }
    } finally {
      await catalog.close();
    }

    // And down again: one row per item, each record as it was.
    const back = new Kysely<any>({ dialect: new SqliteDialect({ database: new Database(path) }) });
    try {
      expect(
        (await new Migrator({ db: back, provider: catalogMigrations }).migrateTo('0002_media_usage')).error,
      ).toBeUndefined();
      for (const [id, list] of Object.entries(sets)) {
        const rows = await back
          .selectFrom('items')
          .selectAll()
          .where('save_set_id', '=', id)
          .orderBy(sql`rowid`)
          .execute();
        expect(rows.map((r) => r.record)).toEqual(records.get(id));
        expect(rows.map((r) => [r.path, r.size, r.change_token])).toEqual(
          list.map((i) => [i.path, i.size ?? null, i.changeToken ?? null]),
        );
      }
    } finally {
      await back.destroy();
    }
  });
});
