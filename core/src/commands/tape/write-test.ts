import { Flags } from '@oclif/core';
import { TapirError } from '@tapir/sdk';
import { isCleaningCartridge } from '@tapir/devices';
import { BaseCommand } from '../../cli/BaseCommand.js';
import { ExitCode } from '../../cli/exitCodes.js';
import { withDeviceSessions } from '../../cli/devices.js';
import { driveArg, driveStatus, requireMedium } from '../../cli/devicesDrive.js';
import { TEST_HEADER_BYTES, newSeed, testBlock } from '../../cli/devicesTestData.js';

export default class TapeWriteTest extends BaseCommand<typeof TapeWriteTest> {
  static override summary = 'Write test blocks to a scratch tape from its beginning (needs --force), then a filemark.';
  static override description = `Rewinds and writes --blocks variable-length blocks of --block-size bytes of generated data, then one filemark,
and reports the throughput. Everything on the tape is lost: use a scratch tape and pass --force.
\`tapir tape read-test\` reads the blocks back and checks every byte. Refuses cleaning cartridges.`;
  static override examples = [
    '<%= config.bin %> tape write-test drive1 --force',
    '<%= config.bin %> tape write-test lib1/drive:1 --blocks 1000 --block-size 1048576 --force --json',
  ];
  static override args = {
    drive: driveArg,
  };
  static override flags = {
    blocks: Flags.integer({ description: 'how many blocks to write', default: 100, min: 1 }),
    'block-size': Flags.integer({ description: 'bytes per block', default: 256 * 1024, min: TEST_HEADER_BYTES }),
    force: Flags.boolean({ description: 'overwrite the tape in the drive', default: false }),
  };

  async run() {
    const { flags } = this;
    if (!flags.force)
      this.error(
        `write-test overwrites the tape in ${this.args.drive} from its beginning; use a scratch tape and add --force`,
        { exit: ExitCode.USAGE },
      );
    const env = await this.environment();
    return withDeviceSessions(env.config, async (sessions) => {
      const opened = await sessions.openDrive(this.args.drive);
      const { drive } = opened;
      await requireMedium(opened);
      const status = await driveStatus(sessions, opened);
      if (status.barcode && isCleaningCartridge({ barcode: status.barcode, mediumType: 0 }))
        throw new TapirError(
          'TAPIR_E_DEVICE',
          `${opened.name} holds the cleaning cartridge ${status.barcode}; load a scratch tape`,
          { device: opened.name, barcode: status.barcode },
        );
      if (status.writeProtected)
        throw new TapirError(
          'TAPIR_E_DEVICE',
          `${opened.name}: the tape${status.barcode ? ` ${status.barcode}` : ''} is write-protected`,
          { device: opened.name, ...(status.barcode ? { barcode: status.barcode } : {}) },
        );
      const max = status.blockLimits?.maximum;
      if (max && flags['block-size'] > max)
        throw new TapirError(
          'TAPIR_E_DEVICE',
          `${opened.name}: --block-size ${flags['block-size']} is above the drive's largest block (${max} bytes)`,
          { device: opened.name },
        );
      if (drive.blockSize !== 0) await drive.setBlockSize(0);
      let earlyWarning = false;
      drive.on('early-warning', () => (earlyWarning = true));
      await drive.rewind();
      const seed = newSeed();
      const started = process.hrtime.bigint();
      for (let index = 0; index < flags.blocks; index++) {
        if (this.signal.aborted) throw this.signal.reason;
        await drive.writeBlock(testBlock({ index, count: flags.blocks, blockSize: flags['block-size'], seed }));
      }
      await drive.writeFilemarks(1);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const bytes = flags.blocks * flags['block-size'];
      const result = {
        drive: opened.name,
        ...(status.barcode ? { barcode: status.barcode } : {}),
        blocks: flags.blocks,
        blockSize: flags['block-size'],
        bytes,
        seconds,
        mbPerSecond: bytes / 1e6 / seconds,
        earlyWarning,
        seed,
      };
      this.log(
        `${opened.name}: wrote ${flags.blocks} blocks of ${flags['block-size']} bytes and a filemark${status.barcode ? ` to ${status.barcode}` : ''} in ${seconds.toFixed(2)} s (${result.mbPerSecond.toFixed(1)} MB/s)${earlyWarning ? '; early warning: the tape is nearly full' : ''}`,
      );
      return result;
    });
  }
}
