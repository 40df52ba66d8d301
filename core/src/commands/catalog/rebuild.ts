import { Flags } from '@oclif/core';
import { TapirError } from '@tapir/sdk';
import { BaseCommand } from '../../cli/BaseCommand.js';
import { rebuildReport } from '../../cli/rebuildReport.js';
import { rebuildCatalog } from '../../run/rebuildCatalog.js';

export default class CatalogRebuild extends BaseCommand<typeof CatalogRebuild> {
  static override summary = 'Rebuild catalog entries from the save sets a destination holds.';
  static override description = `Reads each stored save set's header and manifest (not its data) and adds the complete ones the catalog lacks, parents first. Safe to run again: what is already there is left alone.`;
  static override examples = [
    '<%= config.bin %> catalog rebuild --from /mnt/backups',
    '<%= config.bin %> catalog rebuild --destination local --json',
  ];
  static override flags = {
    from: Flags.string({ description: 'a disk destination directory', exactlyOne: ['from', 'destination'] }),
    destination: Flags.string({
      description: 'a destination name from the configuration',
      exactlyOne: ['from', 'destination'],
    }),
  };

  async run() {
    const env = await this.environment();
    let destination = this.flags.from
      ? { kind: 'disk', path: this.flags.from }
      : env.config.destinations[this.flags.destination!];
    if (!destination) {
      throw new TapirError(
        'TAPIR_E_CONFIG_INVALID',
        `no destination named "${this.flags.destination}" in ${env.configFile}; defined: ${Object.keys(env.config.destinations).join(', ') || '(none)'}`,
      );
    }
    destination = { ...destination };
    const results = await rebuildCatalog(destination, env.services(this.signal));
    const { text, imported } = rebuildReport(results);
    this.log(text);
    return { imported, results };
  }
}
