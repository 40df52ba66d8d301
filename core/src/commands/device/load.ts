import { Args, Flags } from '@oclif/core';
import { TapirError } from '@tapir/sdk';
import { BaseCommand } from '../../cli/BaseCommand.js';
import { withDeviceSessions } from '../../cli/devices.js';
import { elementText, isElementRef, parseElementRef } from '../../cli/devicesElements.js';
import { moveChecked } from '../../cli/devicesMove.js';

export default class DeviceLoad extends BaseCommand<typeof DeviceLoad> {
  static override summary = 'Load a tape from a slot into a drive and wait until the drive is ready.';
  static override description = `The tape is named by its element (slot:N, ie:N, an address) or by its barcode. Without --drive, the first empty
drive. When tapir knows which drive sits in the drive element (configuration or serial number), it waits for the
drive to report ready.`;
  static override examples = [
    '<%= config.bin %> device load slot:3',
    '<%= config.bin %> device load TAPE0003L6 --drive drive:2',
    '<%= config.bin %> device load 12 --drive 1 --changer lib1 --json',
  ];
  static override args = {
    slot: Args.string({ description: 'the tape: an element (slot:N, ie:N, address) or a barcode', required: true }),
  };
  static override flags = {
    drive: Flags.string({ description: 'drive element: drive:N or its address [default: the first empty drive]' }),
    changer: Flags.string({
      description: 'a configured changer name or iscsi:// URL [default: the only configured changer]',
    }),
    wait: Flags.integer({ description: 'seconds to wait for the drive to become ready', default: 120, min: 0 }),
  };

  async run() {
    const env = await this.environment();
    return withDeviceSessions(env.config, async (sessions) => {
      const opened = await sessions.openChanger(this.flags.changer);
      const { changer } = opened;
      const a = await changer.elementAddresses();
      const inventory = await changer.inventory();
      let from: number;
      if (isElementRef(this.args.slot)) from = await parseElementRef(changer, this.args.slot);
      else {
        const all = [...inventory.slots, ...inventory.importExport, ...inventory.drives, ...inventory.transports];
        const found = all.find((e) => e.full && e.barcode === this.args.slot);
        if (!found)
          throw new TapirError('TAPIR_E_NOT_FOUND', `${opened.name} holds no tape with barcode ${this.args.slot}`, {
            device: opened.name,
            barcode: this.args.slot,
          });
        from = found.address;
      }
      let to: number;
      if (this.flags.drive !== undefined) to = await parseElementRef(changer, this.flags.drive, 'drive');
      else {
        const empty = inventory.drives.find((d) => !d.full);
        if (!empty)
          throw new TapirError(
            'TAPIR_E_ELEMENT_FULL',
            `${opened.name}: every drive holds a tape (${inventory.drives.map((d) => `${elementText(a, d.address)}: ${d.barcode ?? '?'}`).join(', ')}); unload one first`,
            {
              device: opened.name,
            },
          );
        to = empty.address;
      }
      const result = await moveChecked(opened, from, to, inventory);
      let ready: boolean | undefined;
      let drive: string | undefined;
      const mapped = (await sessions.driveMap(opened)).get(to);
      if (mapped) {
        const { drive: tape, name } = await sessions.openDrive(`${mapped.address.target}/${mapped.address.lun}`);
        drive = name;
        await tape.waitReady(this.flags.wait * 1000);
        ready = true;
      }
      this.log(
        `${opened.name}: loaded ${result.barcode ?? 'the tape'} from ${result.from.ref} into ${result.to.ref}${drive ? ` (${drive}, ready)` : ''}`,
      );
      return { ...result, ...(drive ? { drive } : {}), ...(ready !== undefined ? { ready } : {}) };
    });
  }
}
