import { Args, Flags } from '@oclif/core';
import { type Destination, type DestinationKind, TapirError } from '@tapir/sdk';
import { BaseCommand } from '../../cli/BaseCommand.js';
import { rebuildReport } from '../../cli/rebuildReport.js';
import type { PluginHost } from '../../host/PluginHost.js';
import { rebuildCatalog } from '../../run/rebuildCatalog.js';

export default class MediaScan extends BaseCommand<typeof MediaScan> {
  static override summary =
    'Read tapes and rebuild the catalog from what they hold (labels, save-set headers, manifests).';
  static override description =
    'Loads each tape named (every tape of the destination pool when none is named), reads its label, finds the ' +
    'save sets on it, parts that continue on other tapes included, and imports the complete ones the catalog lacks, ' +
    'with media records for the tapes. A save set with a part on a tape that is not scanned is left out. Safe to run ' +
    'again.';
  static override examples = [
    '<%= config.bin %> media scan TAPE0001L6 TAPE0002L6 --destination tapes',
    '<%= config.bin %> media scan --destination tapes --json',
  ];
  static override strict = false;
  static override args = { barcode: Args.string({ description: 'barcodes of the tapes to read (several allowed)' }) };
  static override flags = {
    destination: Flags.string({ description: 'the tape destination (name in the configuration)', required: true }),
  };

  async run() {
    const env = await this.environment(true);
    const barcodes = [...this.positionals];
    const configured = env.config.destinations[this.flags.destination];
    if (!configured)
      throw new TapirError(
        'TAPIR_E_CONFIG_INVALID',
        `no destination named "${this.flags.destination}" in ${env.configFile}; defined: ${Object.keys(env.config.destinations).join(', ') || '(none)'}`,
      );
    const services = env.services(this.signal);
    // The barcodes reach the destination as an option of this scan only; the catalog keeps the configured options.
    const host = barcodes.length ? scanningHost(services.host, barcodes) : services.host;
    const results = await rebuildCatalog({ ...configured }, { ...services, host });
    const { text, imported } = rebuildReport(results);
    this.log(text);
    return { imported, results };
  }
}

/** The plugin host, with destinations created with `scanMedia` set to the barcodes. */
function scanningHost(host: PluginHost, barcodes: string[]): PluginHost {
  return new Proxy(host, {
    get(target, prop, receiver) {
      if (prop === 'require')
        return (category: Parameters<PluginHost['require']>[0], kind: string) => {
          const provided = target.require(category, kind);
          if (category !== 'destinations') return provided;
          const destination = provided.value as DestinationKind;
          return {
            ...provided,
            value: {
              ...destination,
              create: (options: Record<string, unknown>, ctx: Parameters<DestinationKind['create']>[1]) =>
                destination.create({ ...options, scanMedia: barcodes }, ctx) as Promise<Destination> | Destination,
            },
          };
        };
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
