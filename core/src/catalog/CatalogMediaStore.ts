import { TapirError, type MediaFilter, type MediaStore, type MediumRecord, type MediumState } from '@tapir/sdk';
import type { Kysely } from 'kysely';
import type { Catalog } from './Catalog.js';
import type { CatalogDatabase } from './schema.js';

/** The catalog's `media` table as the SDK's {@link MediaStore}. */
export class CatalogMediaStore implements MediaStore {
  constructor(private readonly catalog: Catalog) {}

  async list(filter: MediaFilter = {}): Promise<MediumRecord[]> {
    let q = this.catalog.db.selectFrom('media').selectAll();
    if (filter.pool) q = q.where('pool', '=', filter.pool);
    if (filter.kind) q = q.where('kind', '=', filter.kind);
    if (filter.state) q = q.where('state', 'in', Array.isArray(filter.state) ? filter.state : [filter.state]);
    return (await q.orderBy('id').execute()).map(toRecord);
  }

  async get(id: string): Promise<MediumRecord | undefined> {
    const row = await this.catalog.db.selectFrom('media').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  async put(record: MediumRecord): Promise<void> {
    await this.catalog.db
      .insertInto('media')
      .values({ id: record.id, created_at: new Date().toISOString(), ...columns(record) })
      .onConflict((oc) => oc.column('id').doUpdateSet(columns(record)))
      .execute();
  }

  liveSaveSets(id: string): Promise<string[]> {
    return liveOn(this.catalog.db, id);
  }

  async recycle(id: string, reason: string): Promise<string[]> {
    return this.catalog.db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('media').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row) throw new TapirError('TAPIR_E_NOT_FOUND', `the catalog knows no medium ${id}`, { barcode: id });
      const ids = await liveOn(trx, id);
      if (ids.length > 0)
        await trx
          .updateTable('save_sets')
          .set({ status: 'expired', error: reason })
          .where('id', 'in', ids)
          .where('status', '=', 'complete')
          .execute();
      const { label: _label, retainUntil: _retain, ...rest } = toRecord(row);
      await trx
        .updateTable('media')
        .set(columns({ ...rest, pool: 'scratch', state: 'scratch', files: 0, bytes: 0 }))
        .where('id', '=', id)
        .execute();
      return ids;
    });
  }
}

/** The complete save sets with an extent on medium `id`, sorted. */
async function liveOn(db: Kysely<CatalogDatabase>, id: string): Promise<string[]> {
  const rows = await db
    .selectFrom('extents')
    .innerJoin('save_sets', 'save_sets.id', 'extents.save_set_id')
    .select('save_sets.id as id')
    .distinct()
    .where('extents.medium_id', '=', id)
    .where('save_sets.status', '=', 'complete')
    .orderBy('save_sets.id')
    .execute();
  return rows.map((r) => r.id);
}

/** A record's columns, without its id. */
function columns(record: MediumRecord) {
  return {
    kind: record.kind,
    pool: record.pool,
    state: record.state,
    label: record.label ?? null,
    files: record.files,
    bytes: record.bytes,
    last_written: record.lastWritten ?? null,
    location: record.location ?? null,
    retain_until: record.retainUntil ?? null,
  };
}

function toRecord(row: {
  id: string;
  kind: string;
  pool: string | null;
  state: string;
  label: string | null;
  files: number;
  bytes: number;
  last_written: string | null;
  location: string | null;
  retain_until: string | null;
}): MediumRecord {
  return {
    id: row.id,
    kind: row.kind,
    pool: row.pool ?? 'scratch',
    state: row.state as MediumState,
    files: row.files,
    bytes: row.bytes,
    ...(row.label ? { label: row.label } : {}),
    ...(row.last_written ? { lastWritten: row.last_written } : {}),
    ...(row.location ? { location: row.location } : {}),
    ...(row.retain_until ? { retainUntil: row.retain_until } : {}),
  };
}
