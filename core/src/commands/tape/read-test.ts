import { TapirError } from '@tapir/sdk';
import { BaseCommand } from '../../cli/BaseCommand.js';
import { withDeviceSessions } from '../../cli/devices.js';
import { driveArg, driveStatus, requireMedium } from '../../cli/devicesDrive.js';
import { parseTestHeader, testBlock, type TestHeader } from '../../cli/devicesTestData.js';

export default class TapeReadTest extends BaseCommand<typeof TapeReadTest> {
  static override summary = 'Read back what `tape write-test` wrote and check every byte.';
  static override description = `Rewinds, reads the test blocks (their count, size and seed come from the first block), compares each with the
data write-test generated, and expects the filemark after the last. Exits 4 (TAPIR_E_VERIFY_FAILED) naming the first bad
block when anything differs, and 1 when the tape holds no write-test data.`;
  static override examples = [
    '<%= config.bin %> tape read-test drive1',
    '<%= config.bin %> tape read-test lib1/drive:1 --json',
  ];
  static override args = {
    drive: driveArg,
  };

  async run() {
    const env = await this.environment();
    return withDeviceSessions(env.config, async (sessions) => {
      const opened = await sessions.openDrive(this.args.drive);
      const { drive } = opened;
      await requireMedium(opened);
      const status = await driveStatus(sessions, opened);
      if (drive.blockSize !== 0) await drive.setBlockSize(0);
      await drive.rewind();
      const started = process.hrtime.bigint();
      const maxBlock = status.blockLimits?.maximum || 1 << 20;
      const first = await drive.readBlock(maxBlock);
      const header = first.kind === 'data' ? parseTestHeader(first.data) : undefined;
      if (!header || header.index !== 0)
        throw new TapirError(
          'TAPIR_E_DEVICE',
          `${opened.name}: the tape${status.barcode ? ` ${status.barcode}` : ''} holds no write-test data (first read: ${first.kind === 'data' ? `a ${first.data.length}-byte block that is not a test block` : first.kind}); run tape write-test first`,
          {
            device: opened.name,
            ...(status.barcode ? { barcode: status.barcode } : {}),
          },
        );
      const bad: Array<{ block: number; reason: string }> = [];
      let bytes = 0;
      let read: Awaited<ReturnType<typeof drive.readBlock>> = first;
      let stopped = false;
      for (let index = 0; index < header.count; index++) {
        if (this.signal.aborted) throw this.signal.reason;
        if (index > 0) read = await drive.readBlock(header.blockSize);
        if (read.kind !== 'data') {
          bad.push({ block: index, reason: `found ${read.kind} where block ${index} of ${header.count} should be` });
          stopped = true;
          break;
        }
        bytes += read.data.length;
        const reason = compare(read.data, { ...header, index });
        if (reason) bad.push({ block: index, reason });
      }
      if (!stopped) {
        const end = await drive.readBlock(header.blockSize);
        if (end.kind !== 'filemark')
          bad.push({
            block: header.count,
            reason: `expected the filemark after block ${header.count - 1}, found ${end.kind === 'data' ? 'another block' : end.kind}`,
          });
      }
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const result = {
        drive: opened.name,
        ...(status.barcode ? { barcode: status.barcode } : {}),
        ok: bad.length === 0,
        blocks: header.count,
        blockSize: header.blockSize,
        bytes,
        seconds,
        mbPerSecond: bytes / 1e6 / seconds,
        bad,
      };
      if (bad.length)
        throw new TapirError(
          'TAPIR_E_VERIFY_FAILED',
          `${opened.name}: read-test found ${bad.length} bad block(s); first: block ${bad[0]!.block}: ${bad[0]!.reason}`,
          {
            device: opened.name,
            ...(status.barcode ? { barcode: status.barcode } : {}),
            bad: bad.slice(0, 20),
          },
        );
      this.log(
        `${opened.name}: read ${header.count} blocks of ${header.blockSize} bytes${status.barcode ? ` from ${status.barcode}` : ''}, all identical, filemark in place, in ${seconds.toFixed(2)} s (${result.mbPerSecond.toFixed(1)} MB/s)`,
      );
      return result;
    });
  }
}

function compare(data: Buffer, header: TestHeader): string | undefined {
  if (data.length !== header.blockSize) return `${data.length} bytes, expected ${header.blockSize}`;
  const found = parseTestHeader(data);
  if (!found || found.seed !== header.seed || found.count !== header.count) return 'not a block of this test';
  if (found.index !== header.index) return `holds block ${found.index}`;
  if (!data.equals(testBlock(header))) return 'data differs';
  return undefined;
}
