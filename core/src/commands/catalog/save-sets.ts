import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/BaseCommand.js';
import { formatBytes, table } from '../../cli/format.js';

export default class CatalogSaveSets extends BaseCommand<typeof CatalogSaveSets> {
  static override summary = 'List save sets, newest first.';
  static override examples = [
    '<%= config.bin %> catalog save-sets --job nightly --since 2026-11-01',
    '<%= config.bin %> catalog save-sets --path "home/alice/*" --json',
  ];
  static override flags = {
    job: Flags.string({ description: 'only save sets of this job' }),
    status: Flags.option({
      options: ['running', 'complete', 'failed', 'expired'] as const,
      description: 'only save sets in this state',
    })(),
    since: Flags.string({ description: 'started at or after this date/time (ISO 8601)' }),
    until: Flags.string({ description: 'started before this date/time (ISO 8601)' }),
    path: Flags.string({ description: 'holding an item whose path matches (* is a wildcard)' }),
    limit: Flags.integer({ description: 'at most this many', default: 100 }),
  };

  async run() {
    const env = await this.environment();
    const { job, status, since, until, path, limit } = this.flags;
    const saveSets = await env.catalog.listSaveSets({
      ...(job ? { job } : {}),
      ...(status ? { status } : {}),
      ...(since ? { since } : {}),
      ...(until ? { until } : {}),
      ...(path ? { path } : {}),
      limit,
    });
    this.log(
      table([
        ['ID', 'JOB', 'LEVEL', 'STATUS', 'STARTED', 'ITEMS', 'SIZE', 'STORED', 'OBJECT'],
        ...saveSets.map((s) => [
          s.id,
          s.job,
          s.level,
          s.status,
          s.startedAt,
          String(s.items),
          formatBytes(s.bytes),
          formatBytes(s.storedBytes),
          s.object,
        ]),
      ]),
    );
    return { saveSets };
  }
}
