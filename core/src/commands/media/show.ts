import { Args } from '@oclif/core';
import { TapirError } from '@tapir/sdk';
import { BaseCommand } from '../../cli/BaseCommand.js';
import { formatBytes, table } from '../../cli/format.js';
import { CatalogMediaStore } from '../../catalog/CatalogMediaStore.js';
import type { Catalog } from '../../catalog/Catalog.js';

export default class MediaShow extends BaseCommand<typeof MediaShow> {
  static override summary = 'Show one medium: its record, its label and the save sets on it.';
  static override examples = ['<%= config.bin %> media show TAPE0001L6'];
  static override args = { barcode: Args.string({ description: 'the barcode', required: true }) };

  async run() {
    const env = await this.environment();
    const medium = await new CatalogMediaStore(env.catalog).get(this.args.barcode);
    if (!medium)
      throw new TapirError('TAPIR_E_NOT_FOUND', `the catalog knows no medium ${this.args.barcode}`, {
        barcode: this.args.barcode,
      });
    const saveSets = await saveSetsOn(env.catalog, medium.id);
    const label = medium.label ? (JSON.parse(medium.label) as Record<string, unknown>) : undefined;
    this.log(
      [
        `${medium.id}: ${medium.kind}, pool ${medium.pool}, ${medium.state}, ${medium.files} files, ${formatBytes(medium.bytes)}`,
        `last written ${medium.lastWritten ?? '-'}, location ${medium.location ?? '-'}${medium.retainUntil ? `, retained until ${medium.retainUntil}` : ''}`,
        label ? `label: ${JSON.stringify(label)}` : 'no label recorded',
        '',
        table([
          ['SAVE SET', 'STATUS', 'STARTED', 'FILE', 'BYTES', 'OBJECT'],
          ...saveSets.map((s) => [s.id, s.status, s.startedAt, String(s.file), formatBytes(s.bytes), s.object]),
        ]),
      ].join('\n'),
    );
    return { medium, label, saveSets };
  }
}

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
