import { hostname } from 'node:os';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
// At run time kysely is one bundled module (`#kysely`, scripts/vendor-bundles.mjs): its 262 modules took 74–82 ms to
// import. Types come from the package: the public API names kysely, not the bundle.
import { Kysely as KyselyBundled, Migrator, SqliteDialect } from '#kysely';
import type { Kysely, Selectable } from 'kysely';
import { TapirError, type Extent } from '@tapir/sdk';
import type { ManifestItem, SaveSetHeader } from '../format/saveSetFormat.js';
import { catalogMigrations } from './migrations.js';
import type { CatalogDatabase, SaveSetTable } from './schema.js';

/** Manifest records per row of `item_pages` (readers take pages of any size). */
export const ITEMS_PER_PAGE = 256;

/** A save set as the catalog lists it. */
export interface SaveSetRecord {
  id: string;
  job: string;
  runId: number;
  object: string;
  level: string;
  parent: string | null;
  status: string;
  destination: { kind: string; options: Record<string, unknown> };
  header: SaveSetHeader;
  items: number;
  bytes: number;
  storedBytes: number;
  startedAt: string;
  completedAt: string | null;
  error: string | null;
}

/** Filters for {@link Catalog.listSaveSets}. */
export interface SaveSetFilter {
  job?: string;
  status?: string;
  /** ISO date/time: save sets started at or after. */
  since?: string;
  /** ISO date/time: save sets started before. */
  until?: string;
  /** Only save sets holding an item whose path matches (SQL LIKE with `*` as wildcard). */
  path?: string;
  limit?: number;
}

/** What the next incremental needs to know about an item of its parent. */
export interface ParentItem {
  changeToken: string | null;
  record: ManifestItem;
  dataSaveSet: string;
}

/**
 * The catalog: jobs, runs, save sets, items, media and extents, on SQLite (WAL) through Kysely's typed queries.
 *
 * @remarks
 * Every state change of a save set is one transaction, so the catalog never calls a save set complete without its
 * extents. Queries use only Kysely's portable builder so the same code can run against PostgreSQL.
 */
export class Catalog {
  /** The page insert and the query for a save set's last page, prepared once (see {@link Catalog.addItems}). */
  private pageInsert: Database.Statement | undefined;
  private lastPage: Database.Statement | undefined;

  private constructor(
    readonly db: Kysely<CatalogDatabase>,
    readonly path: string,
    private readonly sqlite: Database.Database,
  ) {}

  /** Opens (creating if needed) the catalog at `path` and applies pending migrations. */
  static async open(path: string): Promise<Catalog> {
    let sqlite: Database.Database;
    try {
      mkdirSync(dirname(path), { recursive: true });
      sqlite = new Database(path);
      sqlite.pragma('journal_mode = WAL');
      sqlite.pragma('synchronous = NORMAL');
      sqlite.pragma('foreign_keys = ON');
      sqlite.pragma('busy_timeout = 10000');
    } catch (error) {
      throw new TapirError(
        'TAPIR_E_CATALOG',
        `cannot open the catalog at ${path}: ${(error as Error).message}`,
        { path },
        { cause: error },
      );
    }
    const db: Kysely<CatalogDatabase> = new KyselyBundled<CatalogDatabase>({
      dialect: new SqliteDialect({ database: sqlite }),
    });
    const { error } = await new Migrator({ db, provider: catalogMigrations }).migrateToLatest();
    if (error) {
      await db.destroy();
      throw new TapirError(
        'TAPIR_E_CATALOG',
        `cannot migrate the catalog at ${path}: ${(error as Error).message}`,
        { path },
        { cause: error },
      );
    }
    return new Catalog(db, path, sqlite);
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  /** Returns the id of the job, creating it on first use. */
  async jobId(name: string): Promise<number> {
    const found = await this.db.selectFrom('jobs').select('id').where('name', '=', name).executeTakeFirst();
    if (found) return found.id;
    const row = await this.db
      .insertInto('jobs')
      .values({ name, created_at: new Date().toISOString() })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  /** Records the start of a run by this process. */
  async beginRun(job: string): Promise<number> {
    const jobId = await this.jobId(job);
    const row = await this.db
      .insertInto('runs')
      .values({
        job_id: jobId,
        started_at: new Date().toISOString(),
        status: 'running',
        pid: process.pid,
        host: hostname(),
        ended_at: null,
        error: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  async endRun(runId: number, status: 'ok' | 'warning' | 'failed', error?: string): Promise<void> {
    await this.db
      .updateTable('runs')
      .set({ status, ended_at: new Date().toISOString(), error: error ?? null })
      .where('id', '=', runId)
      .execute();
  }

  /** Records a save set that is being written (status `running`). */
  async createSaveSet(args: {
    header: SaveSetHeader;
    runId: number;
    destination: { kind: string; options: Record<string, unknown> };
  }): Promise<void> {
    const { header } = args;
    await this.db
      .insertInto('save_sets')
      .values({
        id: header.id,
        run_id: args.runId,
        job_id: await this.jobId(header.job),
        object: header.object,
        level: header.level,
        parent_id: header.parent ?? null,
        status: 'running',
        destination: JSON.stringify(args.destination),
        header: JSON.stringify(header),
        items: 0,
        bytes: 0,
        stored_bytes: 0,
        started_at: header.startedAt,
        completed_at: null,
        error: null,
      })
      .execute();
  }

  /**
   * Adds item records of a save set, in one transaction, as pages of {@link ITEMS_PER_PAGE} records. `records[i]`,
   * when given, is `JSON.stringify(items[i])`, already made for the manifest.
   *
   * @remarks
   * A page is one row: the records joined into a JSON array, their text as given. 20,000 records as rows of their own
   * (columns, a primary key over save set and path, an index on path) took 175–203 ms of a backup's main thread and
   * ~20 MB of catalog; as 79 pages, ~10 MB (docs/adr/0018-catalog-item-pages.md). Items are read through the `items`
   * view, which has the columns the rows had.
   */
  async addItems(saveSetId: string, items: ManifestItem[], records?: string[]): Promise<void> {
    if (items.length === 0) return;
    try {
      const insert = (this.pageInsert ??= this.sqlite.prepare(
        'INSERT INTO item_pages (save_set_id, page, records) VALUES (?, ?, ?)',
      ));
      const lastPage = (this.lastPage ??= this.sqlite
        .prepare('SELECT max(page) AS page FROM item_pages WHERE save_set_id = ?')
        .pluck());
      this.sqlite.transaction(() => {
        let page = ((lastPage.get(saveSetId) as number | null) ?? -1) + 1;
        for (let from = 0; from < items.length; from += ITEMS_PER_PAGE) {
          const to = Math.min(items.length, from + ITEMS_PER_PAGE);
          const text = records
            ? records.slice(from, to).join(',')
            : items
                .slice(from, to)
                .map((item) => JSON.stringify(item))
                .join(',');
          insert.run(saveSetId, page++, `[${text}]`);
        }
      })();
    } catch (error) {
      throw new TapirError(
        'TAPIR_E_CATALOG',
        `cannot record items of save set ${saveSetId} in ${this.path}: ${(error as Error).message}`,
        { saveSet: saveSetId },
        { cause: error },
      );
    }
  }

  /** Marks a save set complete together with its extents, in one transaction. */
  async completeSaveSet(
    id: string,
    extents: Extent[],
    stats: { items: number; bytes: number; storedBytes: number },
  ): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('extents').where('save_set_id', '=', id).execute();
      for (const e of extents) {
        await trx
          .insertInto('extents')
          .values({
            save_set_id: id,
            sequence: e.sequence,
            medium_id: e.medium ?? null,
            location: JSON.stringify(e.location),
            bytes: e.bytes,
          })
          .execute();
      }
      await trx
        .updateTable('save_sets')
        .set({
          status: 'complete',
          completed_at: new Date().toISOString(),
          items: stats.items,
          bytes: stats.bytes,
          stored_bytes: stats.storedBytes,
        })
        .where('id', '=', id)
        .execute();
    });
  }

  /** Marks complete save sets whose data was on a medium that was recycled as `expired`: they can no longer be restored. */
  async expireSaveSets(ids: string[], reason: string): Promise<void> {
    if (ids.length === 0) return;
    await this.db
      .updateTable('save_sets')
      .set({ status: 'expired', error: reason })
      .where('id', 'in', ids)
      .where('status', '=', 'complete')
      .execute();
  }

  async failSaveSet(id: string, error: string): Promise<void> {
    await this.db
      .updateTable('save_sets')
      .set({ status: 'failed', error, completed_at: new Date().toISOString() })
      .where('id', '=', id)
      .execute();
  }

  /**
   * Marks runs and save sets left `running` by processes that no longer exist (killed, crashed) as failed.
   * Returns the save sets it failed, so that their partial data can be removed.
   */
  async reapAbandoned(): Promise<SaveSetRecord[]> {
    const host = hostname();
    const runs = await this.db.selectFrom('runs').selectAll().where('status', '=', 'running').execute();
    const dead = runs.filter((r) => r.host === host && r.pid !== process.pid && !processAlive(r.pid));
    if (dead.length === 0) return [];
    const ids = dead.map((r) => r.id);
    const abandoned = await this.saveSetQuery()
      .where('s.run_id', 'in', ids)
      .where('s.status', '=', 'running')
      .execute();
    await this.db.transaction().execute(async (trx) => {
      const at = new Date().toISOString();
      const error = 'abandoned: the process writing it ended before it completed';
      await trx
        .updateTable('save_sets')
        .set({ status: 'failed', error, completed_at: at })
        .where('run_id', 'in', ids)
        .where('status', '=', 'running')
        .execute();
      await trx.updateTable('runs').set({ status: 'failed', error, ended_at: at }).where('id', 'in', ids).execute();
    });
    return abandoned.map(toRecord);
  }

  /** The newest complete save set of a job and object, optionally of one level only. */
  async latestComplete(job: string, object: string, level?: string): Promise<SaveSetRecord | undefined> {
    let q = this.saveSetQuery()
      .where('j.name', '=', job)
      .where('s.object', '=', object)
      .where('s.status', '=', 'complete');
    if (level) q = q.where('s.level', '=', level);
    const row = await q.orderBy('s.started_at', 'desc').limit(1).executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  /** Items of a save set keyed by path, for change detection in the next incremental. */
  async parentItems(saveSetId: string): Promise<Map<string, ParentItem>> {
    // Page by page, one JSON.parse each: faster than the view's row per item, which SQLite parses out of the page.
    const pages = await this.db
      .selectFrom('item_pages')
      .select('records')
      .where('save_set_id', '=', saveSetId)
      .orderBy('page')
      .execute();
    const map = new Map<string, ParentItem>();
    for (const { records } of pages)
      for (const record of JSON.parse(records) as ManifestItem[])
        map.set(record.path, {
          changeToken: record.changeToken ?? null,
          record,
          dataSaveSet: record.dataSaveSet ?? saveSetId,
        });
    return map;
  }

  /** Finds a save set by full id or unique prefix; throws TAPIR_E_NOT_FOUND otherwise. */
  async findSaveSet(idOrPrefix: string): Promise<SaveSetRecord> {
    const rows = await this.saveSetQuery()
      .where('s.id', 'like', `${idOrPrefix.replace(/[%_]/g, '')}%`)
      .limit(2)
      .execute();
    if (rows.length === 0)
      throw new TapirError('TAPIR_E_NOT_FOUND', `no save set ${idOrPrefix} in the catalog ${this.path}`, {
        saveSet: idOrPrefix,
      });
    if (rows.length > 1)
      throw new TapirError('TAPIR_E_NOT_FOUND', `save set prefix ${idOrPrefix} is ambiguous; give more characters`, {
        saveSet: idOrPrefix,
      });
    return toRecord(rows[0]!);
  }

  async extents(saveSetId: string): Promise<Extent[]> {
    const rows = await this.db
      .selectFrom('extents')
      .selectAll()
      .where('save_set_id', '=', saveSetId)
      .orderBy('sequence')
      .execute();
    return rows.map((r) => ({
      sequence: r.sequence,
      ...(r.medium_id ? { medium: r.medium_id } : {}),
      location: JSON.parse(r.location),
      bytes: r.bytes,
    }));
  }

  async listSaveSets(filter: SaveSetFilter = {}): Promise<SaveSetRecord[]> {
    let q = this.saveSetQuery();
    if (filter.job) q = q.where('j.name', '=', filter.job);
    if (filter.status) q = q.where('s.status', '=', filter.status);
    if (filter.since) q = q.where('s.started_at', '>=', new Date(filter.since).toISOString());
    if (filter.until) q = q.where('s.started_at', '<', new Date(filter.until).toISOString());
    if (filter.path) {
      const pattern = likePattern(filter.path);
      q = q.where(({ exists, selectFrom }) =>
        exists(
          selectFrom('items as i')
            .select('i.path')
            .whereRef('i.save_set_id', '=', 's.id')
            .where('i.path', 'like', pattern),
        ),
      );
    }
    const rows = await q
      .orderBy('s.started_at', 'desc')
      .limit(filter.limit ?? 1000)
      .execute();
    return rows.map(toRecord);
  }

  /** Items of one save set (or of every complete save set of a job), optionally filtered by path pattern. */
  async listItems(filter: {
    saveSet?: string;
    job?: string;
    path?: string;
    limit?: number;
  }): Promise<Array<ManifestItem & { saveSet: string }>> {
    let q = this.db
      .selectFrom('items as i')
      .innerJoin('save_sets as s', 's.id', 'i.save_set_id')
      .innerJoin('jobs as j', 'j.id', 's.job_id')
      .select(['i.save_set_id', 'i.record']);
    if (filter.saveSet) q = q.where('i.save_set_id', '=', filter.saveSet);
    if (filter.job) q = q.where('j.name', '=', filter.job).where('s.status', '=', 'complete');
    if (filter.path) q = q.where('i.path', 'like', likePattern(filter.path));
    const rows = await q
      .orderBy('s.started_at', 'desc')
      .orderBy('i.path')
      .limit(filter.limit ?? 100_000)
      .execute();
    return rows.map((r) => ({ ...(JSON.parse(r.record) as ManifestItem), saveSet: r.save_set_id }));
  }

  /** The chain of save sets from the oldest ancestor to `saveSetId`. */
  async chain(saveSetId: string): Promise<SaveSetRecord[]> {
    const chain: SaveSetRecord[] = [];
    let id: string | null = saveSetId;
    while (id) {
      const record: SaveSetRecord = await this.findSaveSet(id);
      chain.unshift(record);
      id = record.parent;
    }
    return chain;
  }

  private saveSetQuery() {
    return this.db
      .selectFrom('save_sets as s')
      .innerJoin('jobs as j', 'j.id', 's.job_id')
      .selectAll('s')
      .select('j.name as job_name');
  }
}

function toRecord(row: Selectable<SaveSetTable> & { job_name: string }): SaveSetRecord {
  return {
    id: row.id,
    job: row.job_name,
    runId: row.run_id,
    object: row.object,
    level: row.level,
    parent: row.parent_id,
    status: row.status,
    destination: JSON.parse(row.destination),
    header: JSON.parse(row.header),
    items: row.items,
    bytes: row.bytes,
    storedBytes: row.stored_bytes,
    startedAt: row.started_at,
    completedAt: row.completed_at,
    error: row.error,
  };
}

function likePattern(glob: string): string {
  return glob.replace(/[%_]/g, '').replace(/\*/g, '%');
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
