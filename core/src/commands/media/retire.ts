import { Args } from '@oclif/core';
import { TapirError } from '@tapir/sdk';
import { BaseCommand } from '../../cli/BaseCommand.js';
import { CatalogMediaStore } from '../../catalog/CatalogMediaStore.js';

export default class MediaRetire extends BaseCommand<typeof MediaRetire> {
  static override summary = 'Retire a medium: it is never written again; its save sets stay restorable.';
  static override examples = ['<%= config.bin %> media retire TAPE0003L6'];
  static override args = { barcode: Args.string({ description: 'the barcode', required: true }) };

  async run() {
    const env = await this.environment();
    const store = new CatalogMediaStore(env.catalog);
    const medium = await store.get(this.args.barcode);
    if (!medium)
      throw new TapirError('TAPIR_E_NOT_FOUND', `the catalog knows no medium ${this.args.barcode}`, {
        barcode: this.args.barcode,
      });
    const retired = { ...medium, state: 'retired' as const };
    await store.put(retired);
    this.log(`${medium.id} retired (was ${medium.state})`);
    return { medium: retired };
  }
}
