import { TapirError } from '@tapir/sdk';
import { ByteReader } from './ByteReader.js';
import { applyPax, BLOCK, decodePaxRecords, decodeUstar, type MemberHeader, paddingFor, TypeFlag } from './pax.js';

/** One member read from an archive. Its data must be read (or skipped) before asking for the next member. */
export interface Member {
  header: MemberHeader;
  /** Offset of the member's first header block (its pax header, when it has one). */
  offset: number;
  /** The member's data bytes (without padding). */
  data(): AsyncIterable<Buffer>;
}

/** Reads pax members from a byte stream, applying extended headers and skipping unread data. */
export class ArchiveReader {
  private readonly bytes: ByteReader;
  private remaining = 0;
  private padding = 0;
  private global: Record<string, string> = {};

  constructor(source: AsyncIterable<Uint8Array>) {
    this.bytes = new ByteReader(source);
  }

  /** Bytes consumed so far. */
  get offset(): number {
    return this.bytes.offset;
  }

  /** The next member, or null at the end of the archive. */
  async next(): Promise<Member | null> {
    await this.bytes.skip(this.remaining + this.padding);
    this.remaining = 0;
    this.padding = 0;
    const offset = this.bytes.offset;
    let pax: Record<string, string> = {};
    for (;;) {
      const block = await this.bytes.upTo(BLOCK);
      if (block === null) return null;
      const full =
        block.length === BLOCK ? block : Buffer.concat([block, await this.bytes.exactly(BLOCK - block.length)]);
      const ustar = decodeUstar(full);
      if (ustar === null) return null;
      if (ustar.type === TypeFlag.PAX || ustar.type === TypeFlag.PAX_GLOBAL) {
        const body = await this.bytes.exactly(ustar.size);
        await this.bytes.skip(paddingFor(ustar.size));
        const records = decodePaxRecords(body);
        if (ustar.type === TypeFlag.PAX) pax = { ...pax, ...records };
        else this.global = { ...this.global, ...records };
        continue;
      }
      const header = applyPax(ustar, { ...this.global, ...pax });
      if (!Number.isSafeInteger(header.size) || header.size < 0) {
        throw new TapirError('TAPIR_E_FORMAT', `bad member size ${header.size} at offset ${offset}`);
      }
      const hasData = header.type === TypeFlag.FILE || header.type === '\0' || header.type === '7';
      this.remaining = hasData ? header.size : 0;
      this.padding = hasData ? paddingFor(header.size) : 0;
      return { header, offset, data: () => this.data() };
    }
  }

  private async *data(): AsyncGenerator<Buffer> {
    while (this.remaining > 0) {
      const chunk = await this.bytes.upTo(Math.min(this.remaining, 4 << 20));
      if (chunk === null) throw new TapirError('TAPIR_E_FORMAT', `save set ends early at offset ${this.bytes.offset}`);
      this.remaining -= chunk.length;
      yield chunk;
    }
  }

  async close(): Promise<void> {
    await this.bytes.close();
  }
}
