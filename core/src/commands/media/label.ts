import { Flags } from '@oclif/core';
import { TapirError } from '@tapir/sdk';
import { BaseCommand } from '../../cli/BaseCommand.js';
import { ExitCode } from '../../cli/exitCodes.js';
import { table } from '../../cli/format.js';
import { CatalogMediaStore } from '../../catalog/CatalogMediaStore.js';
import { attempt } from '../../run/attribution.js';
import { withDestination } from '../../run/kinds.js';
import { runContext } from '../../run/runContext.js';

export default class MediaLabel extends BaseCommand<typeof MediaLabel> {
  static override summary = 'Write a new tapir volume label on tapes, into a pool or as scratch.';
  static override description = `Loads each tape named into a free drive of the destination's library, writes the volume label
(docs/format/tape-label-v1.md) and puts the tape back. Labelled into a pool (default: the destination's pool) the tape
is appended to by that pool's jobs; labelled into "scratch" any pool may take it.

Refused, unless --force, for a tape that still holds complete save sets, one that carries data tapir did not write,
and one with a tapir label this catalog has no record of (scan it first: tapir media scan). With --force the save sets
on the tape are marked expired before its label is overwritten. Cleaning cartridges are never labelled.`;
  static override examples = [
    '<%= config.bin %> media label TAPE0005L6 TAPE0006L6 --destination tapes',
    '<%= config.bin %> media label TAPE0007L6 --destination tapes --pool scratch',
    '<%= config.bin %> media label TAPE0002L6 --destination tapes --pool monthly --force --json',
  ];
  static override strict = false;
  static override flags = {
    destination: Flags.string({ description: 'the tape destination (name in the configuration)', required: true }),
    pool: Flags.string({ description: "the pool to label into (default: the destination's pool; scratch)" }),
    force: Flags.boolean({ description: 'overwrite tapes holding save sets or foreign data', default: false }),
  };

  async run() {
    const barcodes = [...new Set(this.positionals)];
    if (barcodes.length === 0) this.error('name the tapes to label (barcodes)', { exit: ExitCode.USAGE });
    const env = await this.environment(true);
    const configured = env.config.destinations[this.flags.destination];
    if (!configured)
      throw new TapirError(
        'TAPIR_E_CONFIG_INVALID',
        `no destination named "${this.flags.destination}" in ${env.configFile}; defined: ${Object.keys(env.config.destinations).join(', ') || '(none)'}`,
      );
    const pool = this.flags.pool ?? (typeof configured.pool === 'string' ? configured.pool : undefined);
    if (!pool) this.error('say which pool to label into: --pool <name> (or scratch)', { exit: ExitCode.USAGE });
    if (!/^[A-Za-z0-9._-]+$/.test(pool))
      this.error(`pool names are letters, digits, dots, dashes and underscores; "${pool}" is not one`, {
        exit: ExitCode.USAGE,
      });
    const store = new CatalogMediaStore(env.catalog);
    // The catalog's objections first, before any tape moves.
    for (const barcode of barcodes) {
      const record = await store.get(barcode);
      if (record?.state === 'cleaning')
        throw new TapirError('TAPIR_E_DESTINATION_UNAVAILABLE', `${barcode} is a cleaning cartridge`, { barcode });
      const live = record ? await store.liveSaveSets(barcode) : [];
      if (live.length > 0 && !this.flags.force)
        throw new TapirError(
          'TAPIR_E_DESTINATION_UNAVAILABLE',
          `${barcode} still holds ${live.length} complete save set(s); labelling overwrites them (use --force to label it anyway, which marks them expired)`,
          { barcode, saveSets: live },
        );
    }
    const services = env.services(this.signal);
    const provided = services.host.require('destinations', configured.kind);
    const ctx = runContext('media-label', services, () => {});
    const labelled = await withDestination(services.host, configured, ctx, async (destination) => {
      if (!destination.labelMedia)
        throw new TapirError(
          'TAPIR_E_PLUGIN_FAILED',
          `the ${configured.kind} destination has no removable media to label`,
          { plugin: provided.plugin },
        );
      return attempt(provided.plugin, 'destination.labelMedia', () =>
        destination.labelMedia!(barcodes, { pool, force: this.flags.force }, ctx),
      );
    });
    this.log(
      table([
        ['BARCODE', 'POOL', 'STATE', 'LOCATION'],
        ...labelled.map((m) => [m.id, m.pool, m.state, m.location ?? '-']),
      ]),
    );
    return { media: labelled };
  }
}
