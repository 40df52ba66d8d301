import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/BaseCommand.js';
import { withDeviceSessions } from '../../cli/devices.js';
import { parseElementRef } from '../../cli/devicesElements.js';
import { moveChecked } from '../../cli/devicesMove.js';

export default class DeviceMove extends BaseCommand<typeof DeviceMove> {
  static override summary = 'Move a medium from one changer element to another.';
  static override description = `Elements are named by address (10) or by kind and number counted from 1 in address order:
slot:N (storage), drive:N, ie:N (import/export) and picker:N. \`tapir device inventory\` shows both.
Fails with TAPIR_E_ELEMENT_EMPTY when the source holds nothing and TAPIR_E_ELEMENT_FULL when the destination is occupied.`;
  static override examples = [
    '<%= config.bin %> device move slot:1 drive:1',
    '<%= config.bin %> device move drive:1 slot:1 --changer lib1',
    '<%= config.bin %> device move 16 8 --changer iscsi://127.0.0.1:3261/iqn.2026-11.test:vtl/3 --json',
  ];
  static override args = {
    from: Args.string({ description: 'source element: address, slot:N, drive:N, ie:N or picker:N', required: true }),
    to: Args.string({ description: 'destination element', required: true }),
  };
  static override flags = {
    changer: Flags.string({
      description: 'a configured changer name or iscsi:// URL [default: the only configured changer]',
    }),
  };

  async run() {
    const env = await this.environment();
    return withDeviceSessions(env.config, async (sessions) => {
      const opened = await sessions.openChanger(this.flags.changer);
      const from = await parseElementRef(opened.changer, this.args.from);
      const to = await parseElementRef(opened.changer, this.args.to);
      const result = await moveChecked(opened, from, to);
      this.log(
        `${result.changer}: moved ${result.barcode ?? 'the medium'} from ${result.from.ref} (${from}) to ${result.to.ref} (${to})`,
      );
      return result;
    });
  }
}
