import { BaseCommand } from '../../cli/BaseCommand.js';
import { withDeviceSessions } from '../../cli/devices.js';
import { driveArg, requireMedium } from '../../cli/devicesDrive.js';

export default class TapeRewind extends BaseCommand<typeof TapeRewind> {
  static override summary = 'Rewind the tape in a drive to its beginning.';
  static override examples = [
    '<%= config.bin %> tape rewind drive1',
    '<%= config.bin %> tape rewind lib1/drive:1 --json',
    '<%= config.bin %> tape rewind iscsi://127.0.0.1:3261/iqn.2026-11.test:vtl/1',
  ];
  static override args = {
    drive: driveArg,
  };

  async run() {
    const env = await this.environment();
    return withDeviceSessions(env.config, async (sessions) => {
      const opened = await sessions.openDrive(this.args.drive);
      await requireMedium(opened);
      const started = Date.now();
      await opened.drive.rewind();
      this.log(`${opened.name}: rewound (file 0, block 0)`);
      return { drive: opened.name, position: opened.drive.position, seconds: (Date.now() - started) / 1000 };
    });
  }
}
