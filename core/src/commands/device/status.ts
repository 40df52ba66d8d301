import { BaseCommand } from '../../cli/BaseCommand.js';
import { withDeviceSessions } from '../../cli/devices.js';
import { driveArg, driveStatus } from '../../cli/devicesDrive.js';

export default class DeviceStatus extends BaseCommand<typeof DeviceStatus> {
  static override summary =
    "Show a tape drive's state: loaded or not, barcode, block size and limits, position, write protection.";
  static override description = `The drive is a configured name, an iscsi:// URL with its LUN, or <changer>/<element> for the drive in a changer's
drive element (e.g. lib1/drive:1). The barcode comes from the changer that holds the drive, when tapir knows it. Drives
that do not report their position (tgt) show it as unknown.`;
  static override examples = [
    '<%= config.bin %> device status drive1',
    '<%= config.bin %> device status lib1/drive:2 --json',
    '<%= config.bin %> device status iscsi://127.0.0.1:3261/iqn.2026-11.test:vtl/1',
  ];
  static override args = {
    drive: driveArg,
  };

  async run() {
    const env = await this.environment();
    return withDeviceSessions(env.config, async (sessions) => {
      const status = await driveStatus(sessions, await sessions.openDrive(this.args.drive));
      const rows: Array<[string, string | undefined]> = [
        [
          'drive',
          `${status.drive} (${status.vendor} ${status.product} ${status.revision}, serial ${status.serial || 'none'})`,
        ],
        ['state', status.state + (status.sense ? ` (${status.sense})` : '')],
        ['barcode', status.loaded ? (status.barcode ?? 'unknown') : undefined],
        ['changer', status.changer ? `${status.changer.name}, drive element ${status.changer.element}` : undefined],
        [
          'block size',
          status.blockSize === undefined
            ? undefined
            : status.blockSize === 0
              ? 'variable'
              : `${status.blockSize} bytes (fixed)`,
        ],
        [
          'block limits',
          status.blockLimits ? `${status.blockLimits.minimum}–${status.blockLimits.maximum} bytes` : undefined,
        ],
        ['write protected', status.writeProtected === undefined ? undefined : status.writeProtected ? 'yes' : 'no'],
        [
          'position',
          status.position
            ? 'unknown' in status.position
              ? `unknown: ${status.position.unknown}`
              : `block ${status.position.block ?? '?'}${status.position.beginningOfPartition ? ' (beginning of tape)' : ''}`
            : undefined,
        ],
      ];
      for (const [k, v] of rows) if (v !== undefined) this.log(`${`${k}:`.padEnd(17)}${v}`);
      return status;
    });
  }
}
