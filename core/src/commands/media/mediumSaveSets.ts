import type { Catalog } from '../../catalog/Catalog.js';

/** The save sets with an extent on a medium, newest first. */
export async function saveSetsOn(
  catalog: Catalog,
  medium: string,
): Promise<Array<{ id: string; status: string; startedAt: string; object: string; file: unknown; bytes: number }>> {
  const rows = await catalog.db
    .selectFrom('extents')
    .innerJoin('save_sets', 'save_sets.id', 'extents.save_set_id')
    .select([
      'save_sets.id as id',
      'save_sets.status as status',
      'save_sets.started_at as startedAt',
      'save_sets.object as object',
      'extents.location as location',
      'extents.bytes as bytes',
    ])
    .where('extents.medium_id', '=', medium)
    .orderBy('save_sets.started_at', 'desc')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    status: r.status,
    startedAt: r.startedAt,
    object: r.object,
    file: (JSON.parse(r.location) as { file?: unknown }).file,
    bytes: r.bytes,
  }));
}
