import type { MediaFilter, MediaStore, MediumRecord, MediumState } from '@tapir/sdk';
import type { Catalog } from './Catalog.js';

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
    const values = {
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
    await this.catalog.db
      .insertInto('media')
      .values({ id: record.id, created_at: new Date().toISOString(), ...values })
      .onConflict((oc) => oc.column('id').doUpdateSet(values))
      .execute();
  }
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
