import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/BaseCommand.js';
import { withDeviceSessions } from '../../cli/devices.js';
import { CatalogMediaStore } from '../../catalog/CatalogMediaStore.js';

/** The licence feature that counts changer slots (docs/licensing.md). */
const SLOT_FEATURE = 'autoloader.slots';

export default class MediaImport extends BaseCommand<typeof MediaImport> {
  static override summary = 'Move the tapes in the import/export slots into free licensed storage slots.';
  static override description = `Only the first ${SLOT_FEATURE} storage slots (in address order) are used; tapes that find no free licensed slot
stay in the import/export slots and are listed. Tapes the catalog does not know are left unrecorded: their label
decides what they are when a job first loads them.`;
  static override examples = ['<%= config.bin %> media import', '<%= config.bin %> media import --changer lib1 --json'];
  static override flags = {
    changer: Flags.string({
      description: 'a configured changer name or iscsi:// URL (default: the only one configured)',
    }),
  };

  async run() {
    const env = await this.environment();
    const store = new CatalogMediaStore(env.catalog);
    const licensed = await env.licenses.count(SLOT_FEATURE);
    return withDeviceSessions(env.config, async (sessions) => {
      const { changer, name } = await sessions.openChanger(this.flags.changer);
      const inv = await changer.inventory();
      const free = inv.slots.slice(0, licensed).filter((s) => !s.full);
      const imported: Array<{ barcode: string | undefined; from: number; to: number }> = [];
      const left: Array<{ barcode: string | undefined; at: number }> = [];
      for (const ie of inv.importExport.filter((e) => e.full)) {
        const slot = free.shift();
        if (!slot) {
          left.push({ barcode: ie.barcode, at: ie.address });
          continue;
        }
        await changer.move(ie.address, slot.address);
        if (ie.barcode) {
          const record = await store.get(ie.barcode);
          if (record) await store.put({ ...record, location: `slot ${slot.address}` });
        }
        imported.push({ barcode: ie.barcode, from: ie.address, to: slot.address });
        this.log(`${ie.barcode ?? '(no barcode)'}: import/export slot ${ie.address} → slot ${slot.address}`);
      }
      if (left.length)
        this.log(
          `no free slot among the ${licensed} licensed (${SLOT_FEATURE}) for ${left.map((l) => l.barcode ?? `import/export slot ${l.at}`).join(', ')}`,
        );
      return { changer: name, licensed, imported, left };
    });
  }
}
