import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import type { ChangeChain } from './change-chain.js';

/** Allocation granularity, the VHD block size XAPI's exports use. */
export const ALLOCATION_BLOCK_SIZE = 2 * 1024 * 1024;

/**
 * The bytes of one VDI, kept in a file of its full virtual size in the
 * simulator's temp directory, with the allocation map a VHD-backed SR would
 * have (a 2 MiB block is allocated once anything was written to it).
 */
export class VirtualDisk {
  /** Point in the chain this disk is frozen at, or `'live'` for a writable disk. */
  point: number | 'live';
  /** One byte per 2 MiB block, 1 when allocated. */
  readonly allocated: Uint8Array;
  private handle: FileHandle | undefined;

  constructor(
    readonly path: string,
    readonly size: number,
    readonly chain: ChangeChain,
    point: number | 'live',
    allocated?: Uint8Array,
  ) {
    this.point = point;
    this.allocated = allocated ?? new Uint8Array(Math.ceil(size / ALLOCATION_BLOCK_SIZE));
  }

  /** The chain point this disk's content corresponds to. */
  get chainPoint(): number {
    return this.point === 'live' ? this.chain.point : this.point;
  }

  /** Reads `length` bytes at `offset` (short at the end of the disk). */
  async read(offset: number, length: number): Promise<Buffer> {
    const len = Math.max(0, Math.min(length, this.size - offset));
    const buffer = Buffer.allocUnsafe(len);
    let done = 0;
    const fh = await this.file();
    while (done < len) {
      const { bytesRead } = await fh.read(buffer, done, len - done, offset + done);
      if (bytesRead === 0) {
        buffer.fill(0, done);
        break;
      }
      done += bytesRead;
    }
    return buffer;
  }

  /** Writes at `offset`, marking blocks allocated and recording the write in the chain. */
  async write(offset: number, data: Uint8Array, options: { track?: boolean } = {}): Promise<void> {
    if (offset < 0 || offset + data.length > this.size)
      throw new RangeError(`write beyond the disk end (${this.size})`);
    const fh = await this.file();
    let done = 0;
    while (done < data.length) {
      const { bytesWritten } = await fh.write(data, done, data.length - done, offset + done);
      done += bytesWritten;
    }
    if (data.length === 0) return;
    const first = Math.floor(offset / ALLOCATION_BLOCK_SIZE);
    const last = Math.floor((offset + data.length - 1) / ALLOCATION_BLOCK_SIZE);
    for (let b = first; b <= last; b++) this.allocated[b] = 1;
    if (options.track !== false) this.chain.recordWrite(offset, data.length);
  }

  /** SHA-256 of the whole disk, hex. */
  async sha256(): Promise<string> {
    const hash = createHash('sha256');
    const step = 8 * 1024 * 1024;
    for (let offset = 0; offset < this.size; offset += step) hash.update(await this.read(offset, step));
    return hash.digest('hex');
  }

  /** Closes the file handle (the file stays). */
  async close(): Promise<void> {
    const fh = this.handle;
    this.handle = undefined;
    await fh?.close();
  }

  private async file(): Promise<FileHandle> {
    this.handle ??= await open(this.path, 'r+');
    return this.handle;
  }
}
