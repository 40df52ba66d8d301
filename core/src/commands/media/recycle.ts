import { Args, Flags } from '@oclif/core';
import { TapirError } from '@tapir/sdk';
import { BaseCommand } from '../../cli/BaseCommand.js';
import { CatalogMediaStore } from '../../catalog/CatalogMediaStore.js';
import { saveSetsOn } from './show.js';

export default class MediaRecycle extends BaseCommand<typeof MediaRecycle> {
  static override summary = 'Return a medium to scratch: the next job that needs a tape relabels it into its pool.';
  static override description =
    'Refuses while complete save sets have data on the medium or its retention has not passed, unless --force: ' +
    'relabelling overwrites the whole tape, so those save sets can no longer be restored.';
  static override examples = [
    '<%= config.bin %> media recycle TAPE0002L6',
    '<%= config.bin %> media recycle TAPE0002L6 --force',
  ];
  static override args = { barcode: Args.string({ description: 'the barcode', required: true }) };
  static override flags = {
    force: Flags.boolean({ description: 'recycle even though save sets on it would be lost', default: false }),
  };

  async run() {
    const env = await this.environment();
    const store = new CatalogMediaStore(env.catalog);
    const medium = await store.get(this.args.barcode);
    if (!medium)
      throw new TapirError('TAPIR_E_NOT_FOUND', `the catalog knows no medium ${this.args.barcode}`, {
        barcode: this.args.barcode,
      });
    if (medium.state === 'cleaning')
      throw new TapirError('TAPIR_E_DESTINATION_UNAVAILABLE', `${medium.id} is a cleaning cartridge`, {
        barcode: medium.id,
      });
    const live = (await saveSetsOn(env.catalog, medium.id)).filter((s) => s.status === 'complete');
    const retained = medium.retainUntil !== undefined && medium.retainUntil > new Date().toISOString();
    if ((live.length > 0 || retained) && !this.flags.force)
      throw new TapirError(
        'TAPIR_E_DESTINATION_UNAVAILABLE',
        `${medium.id} still holds ${live.length} complete save set(s)${retained ? ` and is retained until ${medium.retainUntil}` : ''}; recycling would lose them (use --force to recycle anyway)`,
        { barcode: medium.id, saveSets: live.map((s) => s.id) },
      );
    const scratch = { ...medium, pool: 'scratch', state: 'scratch' as const, files: 0, bytes: 0 };
    delete (scratch as { label?: string }).label;
    delete (scratch as { retainUntil?: string }).retainUntil;
    await store.put(scratch);
    // The catalog must not promise what the tape will no longer hold.
    await env.catalog.expireSaveSets(
      live.map((s) => s.id),
      `expired: medium ${medium.id} was recycled`,
    );
    this.log(
      `${medium.id} returned to scratch${live.length ? `; ${live.length} save set(s) on it are now expired` : ''}`,
    );
    return { medium: scratch, lost: live.map((s) => s.id) };
  }
}
