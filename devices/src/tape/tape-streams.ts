import { Readable, Writable } from 'node:stream';
import type { TapeDrive } from './tape-drive.js';

/** Options for {@link TapeDrive.createWriteStream}. */
export interface TapeWriteStreamOptions {
  /** Bytes per tape block (variable mode; the last block may be shorter). Default 256 KiB. */
  readonly blockSize?: number;
  /** Write a filemark when the stream finishes. Default true. */
  readonly filemark?: boolean;
}

/**
 * A writable stream onto a tape: input is cut into blocks of `blockSize`, each written with WRITE(6) before the next
 * chunk is accepted, so backpressure reaches the producer. Early warning is reported by the drive's event.
 */
export class TapeWriteStream extends Writable {
  private pending: Buffer;
  private filled = 0;
  private readonly blockSize: number;
  /** Blocks written so far. */
  blocksWritten = 0;

  constructor(
    private readonly drive: TapeDrive,
    private readonly options: TapeWriteStreamOptions,
  ) {
    const blockSize = options.blockSize ?? 256 * 1024;
    super({ highWaterMark: blockSize });
    this.blockSize = blockSize;
    this.pending = Buffer.allocUnsafe(blockSize);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.consume(chunk).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    (async () => {
      if (this.filled > 0) await this.flushBlock(this.pending.subarray(0, this.filled));
      this.filled = 0;
      if (this.options.filemark !== false) await this.drive.writeFilemarks(1);
    })().then(() => callback(), callback);
  }

  private async consume(chunk: Buffer): Promise<void> {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.filled === 0 && chunk.length - offset >= this.blockSize) {
        // Whole blocks straight from the caller's buffer, no copy.
        await this.flushBlock(chunk.subarray(offset, offset + this.blockSize));
        offset += this.blockSize;
        continue;
      }
      const n = Math.min(this.blockSize - this.filled, chunk.length - offset);
      chunk.copy(this.pending, this.filled, offset, offset + n);
      this.filled += n;
      offset += n;
      if (this.filled === this.blockSize) {
        await this.flushBlock(this.pending);
        this.pending = Buffer.allocUnsafe(this.blockSize);
        this.filled = 0;
      }
    }
  }

  private async flushBlock(block: Buffer): Promise<void> {
    await this.drive.writeBlock(block);
    this.blocksWritten++;
  }
}

/** Options for {@link TapeDrive.createReadStream}. */
export interface TapeReadStreamOptions {
  /** The largest block expected. Default 1 MiB. */
  readonly maxBlockSize?: number;
}

/** A readable stream of one tape file: one chunk per block, ending at the filemark (consumed) or at end of data. */
export class TapeReadStream extends Readable {
  private readonly maxBlockSize: number;
  /** How the stream ended: at a filemark or at end of data; undefined while reading. */
  endedAt: 'filemark' | 'end-of-data' | undefined;

  constructor(
    private readonly drive: TapeDrive,
    options: TapeReadStreamOptions,
  ) {
    super({ highWaterMark: 4 * (options.maxBlockSize ?? 1 << 20) });
    this.maxBlockSize = options.maxBlockSize ?? 1 << 20;
  }

  override _read(): void {
    this.drive.readBlock(this.maxBlockSize).then(
      (result) => {
        if (result.kind === 'data') this.push(result.data);
        else {
          this.endedAt = result.kind;
          this.push(null);
        }
      },
      (err: Error) => this.destroy(err),
    );
  }
}
