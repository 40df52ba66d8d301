import type { Extent, RunContext, SaveSetInfo, SaveSetWriter } from '@tapir/sdk';
import { encodeMarker } from './ContinuationMarker.js';
import type { Mount } from './Mount.js';
import type { TapeMounts } from './TapeMounts.js';

/** The tape file being written: where it is and how many save-set bytes it holds so far. */
interface OpenFile {
  barcode: string;
  file: number;
  bytes: number;
}

/**
 * Writes one save set as tape files of fixed-size blocks, one tape file per tape it touches. At early warning the
 * current file gets its filemark, the tape is marked `full` and unloaded, and the save set goes on in a new file on
 * the next tape of the pool.
 */
export class TapeSaveSetWriter implements SaveSetWriter {
  private readonly block: Buffer;
  private fill = 0;
  private open: OpenFile | undefined;
  private readonly extents: Extent[] = [];
  private readonly skipped = new Set<string>();
  private done = false;

  constructor(
    private readonly mounts: TapeMounts,
    private readonly mount: Mount,
    private readonly blockSize: number,
    private readonly retentionDays: number | undefined,
    private readonly info: SaveSetInfo,
    private readonly ctx: RunContext,
    /** Called with the mount once the writer is finished with it (committed: reuse it; aborted: release it). */
    private readonly handBack: (mount: Mount, reusable: boolean) => Promise<void>,
  ) {
    this.block = Buffer.alloc(blockSize);
  }

  async write(chunk: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < chunk.length) {
      const n = Math.min(this.blockSize - this.fill, chunk.length - offset);
      this.block.set(chunk.subarray(offset, offset + n), this.fill);
      this.fill += n;
      offset += n;
      if (this.fill === this.blockSize) {
        await this.writeBlock(this.blockSize);
        this.fill = 0;
      }
    }
  }

  /** A gather list goes into the blocks piece by piece: joining it first would copy it once more. */
  async writev(chunks: Uint8Array[]): Promise<void> {
    for (const chunk of chunks) await this.write(chunk);
  }

  async commit(): Promise<Extent[]> {
    if (this.fill > 0) {
      // The last block is padded with zeros: GNU tar ignores what follows the end-of-archive blocks.
      this.block.fill(0, this.fill);
      await this.writeBlock(this.fill);
      this.fill = 0;
    }
    if (this.open) await this.finishFile(false);
    this.done = true;
    await this.handBack(this.mount, true);
    return this.extents;
  }

  async abort(reason: unknown): Promise<void> {
    if (this.done) return;
    this.done = true;
    try {
      // Close the partial file with a filemark so that the tape stays a sequence of whole files; the catalog never
      // lists it, and the next append goes after it.
      if (this.open && this.mount.drive.position.atEndOfData) await this.finishFile(false, true);
    } catch (error) {
      this.ctx.log.warn(
        { err: error, saveSet: this.info.id },
        `could not close the partial tape file: ${(error as Error).message}`,
      );
    } finally {
      this.ctx.log.info({ saveSet: this.info.id, reason: String(reason) }, `save set ${this.info.id} aborted on tape`);
      await this.handBack(this.mount, false);
    }
  }

  private async writeBlock(dataBytes: number): Promise<void> {
    if (!this.open) await this.startFile();
    const open = this.open!;
    const { earlyWarning } = await this.mount.drive.writeBlock(this.block);
    open.bytes += dataBytes;
    if (earlyWarning) await this.finishFile(true);
  }

  private async startFile(): Promise<void> {
    const tape = this.mount.tape ?? (await this.mounts.mountWritable(this.mount, this.ctx, this.skipped));
    if (this.extents.length > 0) {
      // A continuation: a marker file first, so that a scan without the catalog can chain this part to the others.
      const offset = this.extents.reduce((n, e) => n + e.bytes, 0);
      await this.mount.drive.writeBlock(encodeMarker({ saveSet: this.info.id, sequence: this.extents.length, offset }));
      await this.mount.drive.writeFilemarks(1);
    }
    const file = this.mount.drive.position.file;
    if (file === undefined) throw new Error(`${tape.barcode}: tape file number unknown`);
    this.open = { barcode: tape.barcode, file, bytes: 0 };
    this.ctx.log.debug(
      { saveSet: this.info.id, barcode: tape.barcode, file },
      `save set ${this.info.id} → ${tape.barcode} file ${file}`,
    );
  }

  /** Writes the filemark, records the extent and the tape's use; at end of medium marks it full and unloads it. */
  private async finishFile(full: boolean, aborted = false): Promise<void> {
    const open = this.open!;
    const tape = this.mount.tape!;
    this.open = undefined;
    await this.mount.drive.writeFilemarks(1);
    if (!aborted)
      this.extents.push({
        sequence: this.extents.length,
        medium: open.barcode,
        location: { file: open.file, blockSize: this.blockSize },
        bytes: open.bytes,
      });
    tape.record = {
      ...tape.record,
      state: full ? 'full' : 'append',
      files: (this.mount.drive.position.file ?? open.file + 1) - 1,
      bytes: tape.record.bytes + open.bytes,
      lastWritten: new Date().toISOString(),
      ...retention(tape.record.retainUntil, aborted ? undefined : this.retentionDays),
    };
    await this.ctx.media?.put(tape.record);
    if (full) {
      const message = `${open.barcode} is full (${tape.record.files} save-set files, ${tape.record.bytes} bytes); continuing on the next tape of pool ${tape.label.pool}`;
      this.ctx.log.info({ barcode: open.barcode }, message);
      await this.ctx.emit?.({
        type: 'media',
        event: 'full',
        medium: open.barcode,
        device: this.mounts.library.name,
        message,
      });
      await this.mounts.unmount(this.mount, this.ctx);
    }
  }
}

/** The later of a tape's retention date and `days` from now. */
function retention(current: string | undefined, days: number | undefined): { retainUntil?: string } {
  if (days === undefined) return current ? { retainUntil: current } : {};
  const wanted = new Date(Date.now() + days * 86_400_000).toISOString();
  return { retainUntil: current && current > wanted ? current : wanted };
}
