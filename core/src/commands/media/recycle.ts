import { Args, Flags } from '@oclif/core';
import { type MediumRecord, TapirError } from '@tapir/sdk';
import { BaseCommand } from '../../cli/BaseCommand.js';
import { CatalogMediaStore } from '../../catalog/CatalogMediaStore.js';
import { ExitCode } from '../../cli/exitCodes.js';

/** States `--expired` recycles from: error, read-only and retired tapes wait for an operator who names them. */
const RECYCLABLE = ['append', 'full'] as const;

export default class MediaRecycle extends BaseCommand<typeof MediaRecycle> {
  static override summary = 'Return media to scratch: the next job that needs a tape relabels it into its pool.';
  static override description =
    'Refuses while complete save sets have data on the medium or its retention has not passed, unless --force: ' +
    'relabelling overwrites the whole tape, so those save sets can no longer be restored; --force marks them ' +
    'expired. --expired recycles every append or full medium whose retention date has passed (jobs also do this ' +
    'by themselves when their pool has no other tape; see autoRecycle); error, read-only and retired ones are ' +
    'recycled only when named.';
  static override examples = [
    '<%= config.bin %> media recycle TAPE0002L6',
    '<%= config.bin %> media recycle TAPE0002L6 --force',
    '<%= config.bin %> media recycle --expired',
  ];
  static override strict = false;
  static override args = { barcode: Args.string({ description: 'barcodes (several allowed)' }) };
  static override flags = {
    force: Flags.boolean({ description: 'recycle even though save sets on it would be lost', default: false }),
    expired: Flags.boolean({
      description: 'recycle every append or full medium whose retention date has passed',
      default: false,
      exclusive: ['force'],
    }),
  };

  async run() {
    const env = await this.environment();
    const store = new CatalogMediaStore(env.catalog);
    const now = new Date().toISOString();
    let media: MediumRecord[];
    if (this.flags.expired) {
      if (this.positionals.length > 0) this.error('give barcodes or --expired, not both', { exit: ExitCode.USAGE });
      media = (await store.list({ state: [...RECYCLABLE] })).filter(
        (m) => m.retainUntil !== undefined && m.retainUntil <= now,
      );
    } else {
      if (this.positionals.length === 0)
        this.error('name the media to recycle (barcodes), or use --expired', { exit: ExitCode.USAGE });
      media = [];
      for (const barcode of this.positionals) {
        const medium = await store.get(barcode);
        if (!medium) throw new TapirError('TAPIR_E_NOT_FOUND', `the catalog knows no medium ${barcode}`, { barcode });
        if (medium.state === 'cleaning')
          throw new TapirError('TAPIR_E_DESTINATION_UNAVAILABLE', `${medium.id} is a cleaning cartridge`, {
            barcode: medium.id,
          });
        const live = await store.liveSaveSets(medium.id);
        const retained = medium.retainUntil !== undefined && medium.retainUntil > now;
        if ((live.length > 0 || retained) && !this.flags.force)
          throw new TapirError(
            'TAPIR_E_DESTINATION_UNAVAILABLE',
            `${medium.id} ${[
              live.length > 0 ? `still holds ${live.length} complete save set(s)` : '',
              retained ? `is retained until ${medium.retainUntil}` : '',
            ]
              .filter(Boolean)
              .join(' and ')}; recycling would lose them (use --force to recycle anyway)`,
            { barcode: medium.id, saveSets: live },
          );
        media.push(medium);
      }
    }
    const recycled: Array<{ medium: string; was: string; expired: string[] }> = [];
    for (const medium of media) {
      // The catalog must not promise what the tape will no longer hold: its save sets expire with it.
      const expired = await store.recycle(medium.id, `expired: medium ${medium.id} was recycled`);
      recycled.push({ medium: medium.id, was: medium.state, expired });
      this.log(
        `${medium.id} returned to scratch${expired.length ? `; ${expired.length} save set(s) on it are now expired` : ''}`,
      );
    }
    if (this.flags.expired && recycled.length === 0) this.log('no medium has passed its retention date');
    return { recycled };
  }
}
