import { TapirError, type Extent, type RunContext, type SaveSetReader } from '@tapir/sdk';
import type { Mount } from './Mount.js';
import type { TapeMounts } from './TapeMounts.js';
import { tapeFileLocation } from './tapeFile.js';

/**
 * Reads a save set back from its extents in order: for each, the tape is found by barcode and loaded, rewound,
 * spaced to its file, and exactly the extent's bytes are read (the zero padding of the last block is dropped).
 */
export class TapeSaveSetReader implements SaveSetReader {
  private mount: Mount | undefined;

  constructor(
    private readonly mounts: TapeMounts,
    private readonly extents: Extent[],
    private readonly ctx: RunContext,
  ) {}

  async *read(signal: AbortSignal): AsyncIterable<Uint8Array> {
    const ordered = [...this.extents].sort((a, b) => a.sequence - b.sequence);
    for (const extent of ordered) {
      const { file, blockSize } = tapeFileLocation(extent.location);
      const barcode = extent.medium;
      if (!barcode) throw new TapirError('TAPIR_E_FORMAT', `tape extent ${extent.sequence} names no tape`, {});
      this.mount ??= await this.mounts.reserveDrive(this.ctx);
      await this.mounts.mountForReading(this.mount, barcode, this.ctx);
      const drive = this.mount.drive;
      await drive.rewind();
      await drive.spaceFilemarks(file);
      this.ctx.log.debug({ barcode, file, bytes: extent.bytes }, `reading ${barcode} file ${file}`);
      let remaining = extent.bytes;
      while (remaining > 0) {
        if (signal.aborted) throw signal.reason;
        const r = await drive.readBlock(blockSize);
        if (r.kind !== 'data')
          throw new TapirError(
            'TAPIR_E_FORMAT',
            `${barcode} file ${file} ended (${r.kind}) ${remaining} bytes before the ${extent.bytes} bytes the catalog lists`,
            { barcode, file },
          );
        const take = Math.min(remaining, r.data.length);
        remaining -= take;
        yield take === r.data.length ? r.data : r.data.subarray(0, take);
      }
    }
  }

  async close(): Promise<void> {
    const mount = this.mount;
    this.mount = undefined;
    if (mount) await this.mounts.release(mount, this.ctx);
  }
}
