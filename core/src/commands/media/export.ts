import { Args, Flags } from '@oclif/core';
import { TapirError } from '@tapir/sdk';
import { BaseCommand } from '../../cli/BaseCommand.js';
import { withDeviceSessions } from '../../cli/devices.js';
import { CatalogMediaStore } from '../../catalog/CatalogMediaStore.js';

export default class MediaExport extends BaseCommand<typeof MediaExport> {
  static override summary = 'Move tapes into the import/export slots, to take them out of the library.';
  static override examples = [
    '<%= config.bin %> media export TAPE0001L6',
    '<%= config.bin %> media export TAPE0001L6 TAPE0002L6 --changer lib1',
  ];
  static override strict = false;
  static override args = {
    barcode: Args.string({ description: 'barcodes of the tapes (several allowed)', required: true }),
  };
  static override flags = {
    changer: Flags.string({
      description: 'a configured changer name or iscsi:// URL (default: the only one configured)',
    }),
  };

  async run() {
    const env = await this.environment();
    const store = new CatalogMediaStore(env.catalog);
    return withDeviceSessions(env.config, async (sessions) => {
      const { changer, name } = await sessions.openChanger(this.flags.changer);
      const exported: Array<{ barcode: string; from: number; to: number }> = [];
      for (const barcode of this.positionals) {
        const inv = await changer.inventory();
        const from = inv.slots.find((s) => s.full && s.barcode === barcode);
        if (!from)
          throw new TapirError(
            'TAPIR_E_NOT_FOUND',
            `${name}: ${barcode} is not in a storage slot (unload it first if it is in a drive)`,
            {
              barcode,
              device: name,
            },
          );
        const to = inv.importExport.find((e) => !e.full);
        if (!to)
          throw new TapirError(
            'TAPIR_E_ELEMENT_FULL',
            `${name}: no import/export slot is free; empty them and run again`,
            {
              barcode,
              device: name,
            },
          );
        await changer.move(from.address, to.address);
        const record = await store.get(barcode);
        if (record) await store.put({ ...record, location: `import/export slot ${to.address}` });
        exported.push({ barcode, from: from.address, to: to.address });
        this.log(`${barcode}: slot ${from.address} → import/export slot ${to.address}`);
      }
      return { changer: name, exported };
    });
  }
}
