import { encodeHeader, paddingFor, TypeFlag } from './pax.js';
import { HEADER_MEMBER, MANIFEST_PREFIX, type SaveSetHeader } from './saveSetFormat.js';

/**
 * Bytes gathered before a sink call, and the most one sink call gets. Measured on a 2 GiB stream to the disk
 * destination: writing whole 8 MiB segments in one call took three times the system time of 1 MiB calls.
 */
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
 * Writes a pax archive to a byte sink in gather lists of about 1 MiB, keeping the offset. Knows nothing about items:
 * {@link SaveSetEncoder} decides what members to write.
 *
 * @remarks
 * The sink gets a list of buffers (written in order), never a copy of them joined.
 *
 * Writing runs while the caller goes on producing: what is handed over at once — a gathered MiB, or a whole member
 * whose data is in memory, such as a segment of a stream — is written by consecutive sink calls in the background,
 * and the next hand-over waits for them. Sink calls never overlap each other and come in archive order; a failed one
 * is reported by the next write, {@link finish} or {@link settle}.
 */
export class ArchiveWriter {
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  /** Called once the sink calls that carry what is buffered have ended. */
  private releases: Array<() => void> = [];
  /** The hand-over being written (its sink calls, one after the other), if any. */
  private writing: Promise<void> | undefined;
  /** Bytes written so far (headers, data and padding). */
  offset = 0;

  constructor(private readonly sink: (chunks: Buffer[]) => Promise<void>) {}

  /** Writes the save-set header member. */
  async writeSaveSetHeader(header: SaveSetHeader): Promise<void> {
    const body = Buffer.from(JSON.stringify(header, null, 2) + '\n');
    await this.writeMember({ name: HEADER_MEMBER, type: TypeFlag.FILE, size: body.length }, [body]);
  }

  /** Writes a member header; returns the offset it starts at. The caller then writes exactly `size` data bytes. */
  async writeHeader(fields: MemberFields): Promise<number> {
    const at = this.offset;
    await this.push(header(fields));
    return at;
  }

  /**
   * Writes member data bytes (after {@link writeHeader}). `release`, if given, is called once the sink calls that
   * carried them have ended, as for {@link writeMember}.
   */
  async writeData(chunk: Buffer, release?: () => void): Promise<void> {
    if (release) this.releases.push(release);
    await this.push(chunk);
  }

  /** Pads member data of `size` bytes to the block boundary. */
  async endData(size: number): Promise<void> {
    const pad = paddingFor(size);
    if (pad > 0) await this.push(ZEROS.subarray(0, pad));
  }

  /**
   * Writes a whole member whose data is in memory; returns its offset. `release`, if given, is called once the sink
   * calls that carried the data have ended (the caller may then reuse the memory), or never when the writer fails.
   */
  async writeMember(fields: MemberFields, data: Buffer[], release?: () => void): Promise<number> {
    const at = this.offset;
    this.gather(header(fields));
    if (release) this.releases.push(release);
    // Gathered whole, then handed over in one sink call: the caller produces the next member meanwhile.
    for (const d of data) this.gather(d);
    const pad = paddingFor(fields.size);
    if (pad > 0) this.gather(ZEROS.subarray(0, pad));
    if (this.bufferedBytes >= COALESCE) await this.flush();
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

  /** Hands what is buffered to the sink (its writing may still run when this resolves). */
  async flush(): Promise<void> {
    if (this.bufferedBytes === 0) return;
    const chunks = this.buffered;
    const releases = this.releases;
    this.buffered = [];
    this.bufferedBytes = 0;
    this.releases = [];
    await this.send(chunks, releases);
  }

  /**
   * Waits for the hand-over being written. With `rethrow` its failure is thrown; without, it is ignored (before aborting
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
   * Starts writing `chunks` once the previous hand-over is written, throwing its failure if it failed; then calls
   * `releases`. One hand-over in flight is what measured best.
   */
  private async send(chunks: Buffer[], releases: Array<() => void>): Promise<void> {
    await this.settle(true);
    const writing = (async () => {
      for (const piece of pieces(chunks, COALESCE)) await this.sink(piece);
      for (const release of releases) release();
    })();
    // Observed by the next send(), finish() or settle(); until then not an unhandled rejection.
    writing.catch(() => {});
    this.writing = writing;
  }

  private async push(chunk: Buffer): Promise<void> {
    this.gather(chunk);
    if (this.bufferedBytes >= COALESCE) await this.flush();
  }

  private gather(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.offset += chunk.length;
    this.buffered.push(chunk);
    this.bufferedBytes += chunk.length;
  }
}

/** The header blocks of a member, with defaults for the fields not given. */
function header(fields: MemberFields): Buffer {
  return encodeHeader({
    mode: 0o644,
    uid: 0,
    gid: 0,
    uname: '',
    gname: '',
    mtime: Math.floor(Date.now() / 1000),
    linkname: '',
    ...fields,
  });
}

/**
 * A gather list cut into lists of `size` bytes (buffers split where needed, never copied); the last list takes the
 * rest when that is under half a `size` more, so that a MiB and a header stay one call.
 */
function* pieces(chunks: Buffer[], size: number): Generator<Buffer[]> {
  let left = chunks.reduce((n, c) => n + c.length, 0);
  let out: Buffer[] = [];
  let bytes = 0;
  for (let chunk of chunks) {
    while (left > size * 1.5 && bytes + chunk.length >= size) {
      const take = size - bytes;
      out.push(chunk.subarray(0, take));
      yield out;
      left -= size;
      out = [];
      bytes = 0;
      chunk = chunk.subarray(take);
    }
    if (chunk.length > 0) {
      out.push(chunk);
      bytes += chunk.length;
    }
  }
  if (out.length > 0) yield out;
}
