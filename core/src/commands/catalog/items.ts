import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/BaseCommand.js';
import { table } from '../../cli/format.js';

export default class CatalogItems extends BaseCommand<typeof CatalogItems> {
  static override summary = 'List the items of a save set, or find items across the save sets of a job.';
  static override examples = [
    '<%= config.bin %> catalog items 3f2a9c1e',
    '<%= config.bin %> catalog items --job nightly --path "*/report.pdf"',
  ];
  static override args = { saveSet: Args.string({ description: 'save-set id or unique prefix' }) };
  static override flags = {
    job: Flags.string({ description: 'items of every complete save set of this job' }),
    path: Flags.string({ description: 'only items whose path matches (* is a wildcard)' }),
    limit: Flags.integer({ description: 'at most this many', default: 10_000 }),
  };

  async run() {
    const env = await this.environment();
    if (!this.args.saveSet && !this.flags.job) this.error('name a save set or give --job', { exit: 2 });
    const saveSet = this.args.saveSet ? (await env.catalog.findSaveSet(this.args.saveSet)).id : undefined;
    const items = await env.catalog.listItems({
      ...(saveSet ? { saveSet } : {}),
      ...(this.flags.job ? { job: this.flags.job } : {}),
      ...(this.flags.path ? { path: this.flags.path } : {}),
      limit: this.flags.limit,
    });
    this.log(
      table([
        ['TYPE', 'SIZE', 'MTIME', 'SAVE SET', 'PATH'],
        ...items.map((i) => [
          i.type,
          i.size === undefined ? '' : String(i.size),
          i.mtimeNs ? new Date(Number(BigInt(i.mtimeNs) / 1_000_000n)).toISOString() : '',
          i.saveSet.slice(0, 8),
          i.path,
        ]),
      ]),
    );
    return { items };
  }
}
