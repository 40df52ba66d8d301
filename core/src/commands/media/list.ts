import { Flags } from '@oclif/core';
import type { MediumState } from '@tapir/sdk';
import { BaseCommand } from '../../cli/BaseCommand.js';
import { formatBytes, table } from '../../cli/format.js';
import { CatalogMediaStore } from '../../catalog/CatalogMediaStore.js';

const STATES = ['scratch', 'append', 'full', 'read-only', 'error', 'cleaning', 'retired'] as const;

export default class MediaList extends BaseCommand<typeof MediaList> {
  static override summary = 'List the media (tapes) the catalog knows: pool, state, files, bytes, location.';
  static override examples = [
    '<%= config.bin %> media list',
    '<%= config.bin %> media list --pool default --state append --json',
  ];
  static override flags = {
    pool: Flags.string({ description: 'only media of this pool' }),
    state: Flags.option({ options: STATES, description: 'only media in this state' })(),
  };

  async run() {
    const env = await this.environment();
    const media = await new CatalogMediaStore(env.catalog).list({
      ...(this.flags.pool ? { pool: this.flags.pool } : {}),
      ...(this.flags.state ? { state: this.flags.state as MediumState } : {}),
    });
    this.log(
      table([
        ['BARCODE', 'KIND', 'POOL', 'STATE', 'FILES', 'BYTES', 'LAST WRITTEN', 'LOCATION'],
        ...media.map((m) => [
          m.id,
          m.kind,
          m.pool,
          m.state,
          String(m.files),
          formatBytes(m.bytes),
          m.lastWritten ?? '-',
          m.location ?? '-',
        ]),
      ]),
    );
    return { media };
  }
}
