import { encodeHeader, paddingFor, TypeFlag } from './pax.js';
import { HEADER_MEMBER, MANIFEST_PREFIX, type SaveSetHeader } from './saveSetFormat.js';

const COALESCE = 1 << 20;
const ZEROS = Buffer.alloc(1024);

/** Fields of a member header that callers set; the rest have defaults. */
export interface MemberFields {
  name: string;
  type: string;
  size: number;
  mode?: number;
  uid?: number;
  gid?: number;
  uname?: string;
  gname?: string;
  mtime?: number;
  linkname?: string;
  pax?: Record<string, string>;
}

/**
 * Writes a pax archive to a byte sink, coalescing small writes into ~1 MiB chunks and keeping the offset.
 * Knows nothing about items: {@link SaveSetEncoder} decides what members to write.
 *
 * @remarks
 * One sink call runs while the caller goes on producing the next chunk, so that reading, hashing and compressing
 * overlap with writing. Sink calls never overlap each other and come in archive order; a failed one is reported by
 * the next write, {@link finish} or {@link settle}.
 */
export class ArchiveWriter {
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  /** The sink call in flight, if any. */
  private writing: Promise<void> | undefined;
  /** Bytes written so far (headers, data and padding). */
  offset = 0;

  constructor(private readonly sink: (chunk: Buffer) => Promise<void>) {}

  /** Writes the save-set header member. */
  async writeSaveSetHeader(header: SaveSetHeader): Promise<void> {
    const body = Buffer.from(JSON.stringify(header, null, 2) + '\n');
    await this.writeMember({ name: HEADER_MEMBER, type: TypeFlag.FILE, size: body.length }, [body]);
  }

  /** Writes a member header; returns the offset it starts at. The caller then writes exactly `size` data bytes. */
  async writeHeader(fields: MemberFields): Promise<number> {
    const at = this.offset;
    await this.push(
      encodeHeader({
        mode: 0o644,
        uid: 0,
        gid: 0,
        uname: '',
        gname: '',
        mtime: Math.floor(Date.now() / 1000),
        linkname: '',
        ...fields,
      }),
    );
    return at;
  }

  /** Writes member data bytes (after {@link writeHeader}). */
  async writeData(chunk: Buffer): Promise<void> {
    await this.push(chunk);
  }

  /** Pads member data of `size` bytes to the block boundary. */
  async endData(size: number): Promise<void> {
    const pad = paddingFor(size);
    if (pad > 0) await this.push(ZEROS.subarray(0, pad));
  }

  /** Writes a whole member whose data is in memory; returns its offset. */
  async writeMember(fields: MemberFields, data: Buffer[]): Promise<number> {
    const at = await this.writeHeader(fields);
    for (const d of data) await this.push(d);
    await this.endData(fields.size);
    return at;
  }

  /** Writes one manifest segment (the last one ends with the `$end` line). */
  async writeManifestSegment(index: number, body: Buffer): Promise<void> {
    const name = `${MANIFEST_PREFIX}${String(index).padStart(6, '0')}.jsonl`;
    await this.writeMember({ name, type: TypeFlag.FILE, size: body.length }, [body]);
  }

  /** Writes the end-of-archive marker and flushes everything to the sink; resolves once the sink has it all. */
  async finish(): Promise<void> {
    await this.push(ZEROS);
    await this.flush();
    await this.settle(true);
  }

  /** Hands what is buffered to the sink (the call may still be running when this resolves). */
  async flush(): Promise<void> {
    if (this.bufferedBytes === 0) return;
    const chunk = this.buffered.length === 1 ? this.buffered[0]! : Buffer.concat(this.buffered, this.bufferedBytes);
    this.buffered = [];
    this.bufferedBytes = 0;
    await this.send(chunk);
  }

  /**
   * Waits for the sink call in flight. With `rethrow` its failure is thrown; without, it is ignored (before aborting
   * the destination after another failure: the destination must not see an abort while a write still runs).
   */
  async settle(rethrow = false): Promise<void> {
    const writing = this.writing;
    this.writing = undefined;
    if (!writing) return;
    if (rethrow) await writing;
    else await writing.catch(() => {});
  }

  /**
   * Starts a sink call once the previous one has finished, throwing its failure if it failed. One call in flight is
   * what measured best: queueing more (16 MiB) made a 2 GiB stream a third slower.
   */
  private async send(chunk: Buffer): Promise<void> {
    await this.settle(true);
    const writing = this.sink(chunk);
    // Observed by the next send(), finish() or settle(); until then not an unhandled rejection.
    writing.catch(() => {});
    this.writing = writing;
  }

  private async push(chunk: Buffer): Promise<void> {
    this.offset += chunk.length;
    if (chunk.length >= COALESCE && this.bufferedBytes === 0) {
      await this.send(chunk);
      return;
    }
    this.buffered.push(chunk);
    this.bufferedBytes += chunk.length;
    if (this.bufferedBytes >= COALESCE) await this.flush();
  }
}
