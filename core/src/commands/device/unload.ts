import { Flags } from '@oclif/core';
import { TapirError } from '@tapir/sdk';
import { BaseCommand } from '../../cli/BaseCommand.js';
import { withDeviceSessions } from '../../cli/devices.js';
import { elementText, parseElementRef } from '../../cli/devicesElements.js';
import { moveChecked } from '../../cli/devicesMove.js';

export default class DeviceUnload extends BaseCommand<typeof DeviceUnload> {
  static override summary = 'Rewind and unload the tape in a drive and put it back in its home slot (or --to a slot).';
  static override description = `Without --drive, the only drive that holds a tape. The home slot is the element the changer says the tape came
from; when it does not say, or the home slot is taken, name one with --to. When tapir knows which drive sits in the
element, the drive is rewound and sent LOAD UNLOAD first.`;
  static override examples = [
    '<%= config.bin %> device unload',
    '<%= config.bin %> device unload --drive drive:2 --to slot:8',
    '<%= config.bin %> device unload --drive 1 --changer lib1 --json',
  ];
  static override flags = {
    drive: Flags.string({ description: 'drive element: drive:N or its address [default: the only loaded drive]' }),
    to: Flags.string({ description: 'destination element (slot:N, ie:N, address) [default: the home slot]' }),
    changer: Flags.string({
      description: 'a configured changer name or iscsi:// URL [default: the only configured changer]',
    }),
  };

  async run() {
    const env = await this.environment();
    return withDeviceSessions(env.config, async (sessions) => {
      const opened = await sessions.openChanger(this.flags.changer);
      const { changer } = opened;
      const a = await changer.elementAddresses();
      let inventory = await changer.inventory();
      let from: number;
      if (this.flags.drive !== undefined) from = await parseElementRef(changer, this.flags.drive, 'drive');
      else {
        const full = inventory.drives.filter((d) => d.full);
        if (full.length !== 1)
          throw new TapirError(
            full.length === 0 ? 'TAPIR_E_ELEMENT_EMPTY' : 'TAPIR_E_ELEMENT_INVALID',
            full.length === 0
              ? `${opened.name}: no drive holds a tape`
              : `${opened.name}: several drives hold tapes (${full.map((d) => elementText(a, d.address)).join(', ')}); name one with --drive`,
            { device: opened.name },
          );
        from = full[0]!.address;
      }
      const element = inventory.drives.find((d) => d.address === from);
      if (element && !element.full)
        throw new TapirError('TAPIR_E_ELEMENT_EMPTY', `${opened.name}: ${elementText(a, from)} holds no tape`, {
          device: opened.name,
          element: from,
        });
      let to: number;
      if (this.flags.to !== undefined) to = await parseElementRef(changer, this.flags.to);
      else {
        const home = element?.sourceAddress;
        const homeElement = [...inventory.slots, ...inventory.importExport].find((e) => e.address === home);
        if (home === undefined || !homeElement)
          throw new TapirError(
            'TAPIR_E_NOT_FOUND',
            `${opened.name}: the home slot of the tape in ${elementText(a, from)} is not known; name one with --to`,
            {
              device: opened.name,
              element: from,
            },
          );
        if (homeElement.full)
          throw new TapirError(
            'TAPIR_E_ELEMENT_FULL',
            `${opened.name}: the home slot ${elementText(a, home)} of the tape in ${elementText(a, from)} is full; name another with --to`,
            {
              device: opened.name,
              element: home,
            },
          );
        to = home;
      }
      const mapped = (await sessions.driveMap(opened, inventory.drives)).get(from);
      let drive: string | undefined;
      if (mapped) {
        const { drive: tape, name } = await sessions.openDrive(`${mapped.address.target}/${mapped.address.lun}`);
        drive = name;
        // tgt: LOAD UNLOAD does nothing and MOVE MEDIUM unloads by itself; real drives must eject first.
        if ((await tape.ready()) === 'ready') await tape.unload();
        inventory = await changer.inventory();
      }
      const result = await moveChecked(opened, from, to, inventory);
      this.log(
        `${opened.name}: unloaded ${result.barcode ?? 'the tape'} from ${result.from.ref}${drive ? ` (${drive})` : ''} into ${result.to.ref}`,
      );
      return { ...result, ...(drive ? { drive } : {}) };
    });
  }
}
