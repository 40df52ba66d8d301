import { BaseCommand } from '../../cli/BaseCommand.js';
import { withDeviceSessions } from '../../cli/devices.js';
import { driveArg, requireMedium } from '../../cli/devicesDrive.js';

export default class TapeEod extends BaseCommand<typeof TapeEod> {
  static override summary = 'Move to the end of recorded data, counting the tape files on the way.';
  static override description = `Rewinds, spaces over filemarks to the end of data and reports the file number there: the number of complete
tape files, and whether data follows the last filemark. The next write would append at this position.`;
  static override examples = ['<%= config.bin %> tape eod drive1', '<%= config.bin %> tape eod lib1/drive:1 --json'];
  static override args = {
    drive: driveArg,
  };

  async run() {
    const env = await this.environment();
    return withDeviceSessions(env.config, async (sessions) => {
      const opened = await sessions.openDrive(this.args.drive);
      await requireMedium(opened);
      const started = Date.now();
      const position = await opened.drive.seekEndOfData();
      const trailing = position.block === undefined;
      this.log(
        `${opened.name}: at end of data after ${position.file} filemark(s)${trailing ? ', with blocks after the last one' : ''} (file ${position.file})`,
      );
      return {
        drive: opened.name,
        position,
        filemarks: position.file,
        trailingData: trailing,
        seconds: (Date.now() - started) / 1000,
      };
    });
  }
}
