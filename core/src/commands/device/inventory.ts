import { Args } from '@oclif/core';
import { isCleaningCartridge, type ElementStatus } from '@tapir/devices';
import { BaseCommand } from '../../cli/BaseCommand.js';
import { withDeviceSessions, type MappedDrive } from '../../cli/devices.js';
import { elementRef } from '../../cli/devicesElements.js';
import { table } from '../../cli/format.js';

export default class DeviceInventory extends BaseCommand<typeof DeviceInventory> {
  static override summary = 'List what a media changer holds: drives, storage slots, import/export slots and picker.';
  static override description = `Every element with its address, its name for other commands (slot:N, drive:N, ie:N, picker:N), whether it is full,
the barcode, and for drives which drive sits there (from the configuration, or matched by serial number).
Without an argument, the only changer in the configuration.`;
  static override examples = [
    '<%= config.bin %> device inventory',
    '<%= config.bin %> device inventory lib1 --json',
    '<%= config.bin %> device inventory iscsi://127.0.0.1:3261/iqn.2026-11.test:vtl/3',
  ];
  static override args = {
    changer: Args.string({ description: 'a configured changer name or iscsi://host[:port]/target[/lun]' }),
  };

  async run() {
    const env = await this.environment();
    return withDeviceSessions(env.config, async (sessions) => {
      const opened = await sessions.openChanger(this.args.changer);
      const { changer } = opened;
      const inventory = await changer.inventory();
      const a = await changer.elementAddresses();
      const map = await sessions.driveMap(opened, inventory.drives);
      const describe = (e: ElementStatus) => describeElement(a, e, map.get(e.address));
      const result = {
        changer: opened.name,
        url: opened.address.target,
        lun: opened.address.lun,
        vendor: changer.identity.vendor,
        product: changer.identity.product,
        serial: changer.identity.serial,
        drives: inventory.drives.map(describe),
        slots: inventory.slots.map(describe),
        importExport: inventory.importExport.map(describe),
        pickers: inventory.transports.map(describe),
      };
      this.log(
        `${opened.name}: ${changer.identity.vendor} ${changer.identity.product} (serial ${changer.identity.serial || 'none'})`,
      );
      const rows = [...result.drives, ...result.importExport, ...result.pickers, ...result.slots].map((e) => [
        e.ref,
        String(e.address),
        e.full ? 'full' : 'empty',
        e.barcode ?? '',
        e.cleaning ? 'cleaning' : '',
        e.sourceAddress !== undefined ? String(e.sourceAddress) : '',
        e.drive ? `${e.drive.url}/${e.drive.lun} (${e.drive.mappedBy})` : e.ref.startsWith('drive:') ? 'unknown' : '',
      ]);
      this.log(table([['ELEMENT', 'ADDRESS', 'STATE', 'BARCODE', 'MEDIUM', 'FROM', 'DRIVE'], ...rows]));
      const full = result.slots.filter((s) => s.full).length;
      this.log(
        `${full} of ${result.slots.length} slots full, ${result.drives.filter((d) => d.full).length} of ${result.drives.length} drives loaded`,
      );
      return result;
    });
  }
}

function describeElement(a: Parameters<typeof elementRef>[0], e: ElementStatus, drive: MappedDrive | undefined) {
  return {
    ref: elementRef(a, e.address)?.ref ?? String(e.address),
    address: e.address,
    full: e.full,
    ...(e.barcode !== undefined ? { barcode: e.barcode } : {}),
    cleaning: e.full && isCleaningCartridge(e),
    ...(e.full && e.sourceAddress !== undefined ? { sourceAddress: e.sourceAddress } : {}),
    ...(e.exception ? { exception: { asc: e.asc, ascq: e.ascq } } : {}),
    ...(e.accessible ? {} : { accessible: false }),
    ...(e.deviceId ? { deviceId: e.deviceId } : {}),
    ...(drive
      ? {
          drive: {
            url: drive.address.target,
            lun: drive.address.lun,
            mappedBy: drive.mappedBy,
            ...(drive.serial ? { serial: drive.serial } : {}),
          },
        }
      : {}),
  };
}
