import { Args } from '@oclif/core';
import { isCleaningCartridge, type ElementStatus } from '@tapir/devices';
import type { MediumRecord } from '@tapir/sdk';
import { BaseCommand } from '../../cli/BaseCommand.js';
import { withDeviceSessions } from '../../cli/devices.js';
import { table } from '../../cli/format.js';
import { CatalogMediaStore } from '../../catalog/CatalogMediaStore.js';

/** Where the catalog says a medium is when the changer does not hold it. */
const NOT_IN_LIBRARY = 'not in library';

export default class MediaSync extends BaseCommand<typeof MediaSync> {
  static override summary = "Reconcile the catalog's media records with what a changer holds.";
  static override description = `Reads the changer's inventory and records where each known tape is (slot, drive, import/export slot), which
known tapes are no longer in the library, and cleaning cartridges (CLN barcodes). Tapes the catalog does not know
are listed but not recorded: their label decides what they are when a job first loads them. Moves nothing.`;
  static override examples = ['<%= config.bin %> media sync', '<%= config.bin %> media sync lib1 --json'];
  static override args = {
    changer: Args.string({ description: 'a configured changer name or iscsi://host[:port]/target[/lun]' }),
  };

  async run() {
    const env = await this.environment();
    const store = new CatalogMediaStore(env.catalog);
    return withDeviceSessions(env.config, async (sessions) => {
      const opened = await sessions.openChanger(this.args.changer);
      const inv = await opened.changer.inventory();
      const present = new Map<string, { location: string; element: ElementStatus }>();
      const note = (list: readonly ElementStatus[], name: string) => {
        for (const e of list)
          if (e.full && e.barcode) present.set(e.barcode, { location: `${name} ${e.address}`, element: e });
      };
      note(inv.slots, 'slot');
      note(inv.drives, 'drive');
      note(inv.importExport, 'import/export slot');
      const changes: Array<{ barcode: string; change: string; location: string }> = [];
      for (const [barcode, { location, element }] of present) {
        const record = await store.get(barcode);
        if (!record) {
          if (isCleaningCartridge(element)) {
            await store.put(cleaningRecord(barcode, location));
            changes.push({ barcode, change: 'cleaning cartridge recorded', location });
          } else changes.push({ barcode, change: 'unknown to the catalog', location });
          continue;
        }
        if (record.location !== location) {
          await store.put({ ...record, location });
          changes.push({ barcode, change: `moved (was ${record.location ?? 'unknown'})`, location });
        }
      }
      for (const record of await store.list({ kind: 'tape' })) {
        if (present.has(record.id) || record.location === NOT_IN_LIBRARY) continue;
        await store.put({ ...record, location: NOT_IN_LIBRARY });
        changes.push({
          barcode: record.id,
          change: `not in the library (was ${record.location ?? 'unknown'})`,
          location: NOT_IN_LIBRARY,
        });
      }
      this.log(
        changes.length
          ? table([['BARCODE', 'CHANGE', 'LOCATION'], ...changes.map((c) => [c.barcode, c.change, c.location])])
          : `${opened.name}: the catalog already matches the library`,
      );
      return { changer: opened.name, changes };
    });
  }
}

function cleaningRecord(barcode: string, location: string): MediumRecord {
  return { id: barcode, kind: 'tape', pool: 'scratch', state: 'cleaning', files: 0, bytes: 0, location };
}
