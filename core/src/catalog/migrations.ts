/* eslint-disable @typescript-eslint/no-explicit-any -- migrations must not depend on the current table types (Kysely documents Kysely<any> for them). */
/**
 * Versioned catalog migrations. Never edit a released migration; add a new one.
 * Written with Kysely's schema builder so that they run on SQLite and PostgreSQL alike.
 */
import type { Kysely, Migration, MigrationProvider } from 'kysely';
// The bundle, as in Catalog.ts: the package's ESM build is 262 modules.
import { sql } from '#kysely';

/**
 * The `items` table, one row per item, as migration 0001 made it; migration 0003's `down` makes it again. Released:
 * never change it.
 */
async function createItemsTable(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('items')
    .addColumn('save_set_id', 'text', (c) => c.notNull().references('save_sets.id').onDelete('cascade'))
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('size', 'integer')
    .addColumn('mtime_ns', 'text')
    .addColumn('hash', 'text')
    .addColumn('data_save_set_id', 'text')
    .addColumn('change_token', 'text')
    .addColumn('record', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('items_pk', ['save_set_id', 'path'])
    .execute();
  await db.schema.createIndex('items_path').on('items').column('path').execute();
}

const migrations: Record<string, Migration> = {
  '0001_initial': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('jobs')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('runs')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('job_id', 'integer', (c) => c.notNull().references('jobs.id'))
        .addColumn('started_at', 'text', (c) => c.notNull())
        .addColumn('ended_at', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('pid', 'integer', (c) => c.notNull())
        .addColumn('host', 'text', (c) => c.notNull())
        .addColumn('error', 'text')
        .execute();
      await db.schema
        .createTable('save_sets')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('run_id', 'integer', (c) => c.notNull().references('runs.id'))
        .addColumn('job_id', 'integer', (c) => c.notNull().references('jobs.id'))
        .addColumn('object', 'text', (c) => c.notNull())
        .addColumn('level', 'text', (c) => c.notNull())
        .addColumn('parent_id', 'text', (c) => c.references('save_sets.id'))
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('destination', 'text', (c) => c.notNull())
        .addColumn('header', 'text', (c) => c.notNull())
        .addColumn('items', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('bytes', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('stored_bytes', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('started_at', 'text', (c) => c.notNull())
        .addColumn('completed_at', 'text')
        .addColumn('error', 'text')
        .execute();
      await db.schema
        .createIndex('save_sets_job_object')
        .on('save_sets')
        .columns(['job_id', 'object', 'status'])
        .execute();
      await createItemsTable(db);
      await db.schema
        .createTable('media')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('label', 'text')
        .addColumn('pool', 'text')
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('extents')
        .addColumn('save_set_id', 'text', (c) => c.notNull().references('save_sets.id').onDelete('cascade'))
        .addColumn('sequence', 'integer', (c) => c.notNull())
        .addColumn('medium_id', 'text', (c) => c.references('media.id'))
        .addColumn('location', 'text', (c) => c.notNull())
        .addColumn('bytes', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('extents_pk', ['save_set_id', 'sequence'])
        .execute();
    },
    async down(db: Kysely<any>) {
      for (const t of ['extents', 'media', 'items', 'save_sets', 'runs', 'jobs'])
        await db.schema.dropTable(t).execute();
    },
  },
  '0002_media_usage': {
    async up(db: Kysely<any>) {
      await db.schema
        .alterTable('media')
        .addColumn('files', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema
        .alterTable('media')
        .addColumn('bytes', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.alterTable('media').addColumn('last_written', 'text').execute();
      await db.schema.alterTable('media').addColumn('location', 'text').execute();
      await db.schema.alterTable('media').addColumn('retain_until', 'text').execute();
    },
    async down(db: Kysely<any>) {
      for (const c of ['files', 'bytes', 'last_written', 'location', 'retain_until'])
        await db.schema.alterTable('media').dropColumn(c).execute();
    },
  },
  '0003_item_pages': {
    // Items are kept as pages of manifest records (JSON arrays, in walk order), one row per page, and read through
    // a view with the columns the items table had (docs/adr/0018-catalog-item-pages.md). The view is the one
    // statement in SQLite's dialect: on PostgreSQL it reads `jsonb_array_elements(p.records::jsonb)`.
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('item_pages')
        .addColumn('save_set_id', 'text', (c) => c.notNull().references('save_sets.id').onDelete('cascade'))
        .addColumn('page', 'integer', (c) => c.notNull())
        .addColumn('records', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('item_pages_pk', ['save_set_id', 'page'])
        .execute();
      // The rows of each save set in the order they were added (rowid), 256 to a page (as the catalog writes them;
      // readers take pages of any size), their text unchanged.
      await sql`
        INSERT INTO item_pages (save_set_id, page, records)
        SELECT save_set_id, page, '[' || group_concat(record, ',' ORDER BY n) || ']'
        FROM (
          SELECT save_set_id, record, row_number() OVER (PARTITION BY save_set_id ORDER BY rowid) - 1 AS n,
                 (row_number() OVER (PARTITION BY save_set_id ORDER BY rowid) - 1) / 256 AS page
          FROM items
        )
        GROUP BY save_set_id, page`.execute(db);
      await db.schema.dropTable('items').execute();
      await sql`
        CREATE VIEW items AS
        SELECT p.save_set_id AS save_set_id,
               e.value ->> 'path' AS path,
               e.value ->> 'type' AS type,
               e.value ->> 'size' AS size,
               e.value ->> 'mtimeNs' AS mtime_ns,
               e.value ->> 'hash' AS hash,
               e.value ->> 'dataSaveSet' AS data_save_set_id,
               e.value ->> 'changeToken' AS change_token,
               e.value AS record
        FROM item_pages p, json_each(p.records) e`.execute(db);
    },
    async down(db: Kysely<any>) {
      await sql`DROP VIEW items`.execute(db);
      await createItemsTable(db);
      await sql`
        INSERT INTO items
        SELECT p.save_set_id, e.value ->> 'path', e.value ->> 'type', e.value ->> 'size', e.value ->> 'mtimeNs',
               e.value ->> 'hash', e.value ->> 'dataSaveSet', e.value ->> 'changeToken', e.value
        FROM item_pages p, json_each(p.records) e
        ORDER BY p.save_set_id, p.page, e.key`.execute(db);
      await db.schema.dropTable('item_pages').execute();
    },
  },
};

/** Supplies the migrations above to Kysely's migrator. */
export const catalogMigrations: MigrationProvider = {
  async getMigrations() {
    return migrations;
  },
};
