import { BHS_LENGTH } from './opcode.js';
import { protocolError, type Pdu } from './pdu.js';

/**
 * Cuts a TCP byte stream into PDUs.
 *
 * @remarks
 * Feed it chunks as they arrive; it returns every complete PDU and keeps the rest. A data segment longer than
 * `maxDataSegment` or a header with an impossible length throws `TAPIR_E_ISCSI_PROTOCOL` (the connection is then
 * unusable). Data segments are copied once out of the socket chunks and handed over without padding.
 */
export class PduReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private pending: { bhs: Buffer; ahs: number; dataLength: number } | undefined;

  /** @param maxDataSegment - the largest data segment accepted (what this side declared as MaxRecvDataSegmentLength). */
  constructor(public maxDataSegment: number) {}

  /** Bytes held that do not yet form a PDU. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Adds received bytes and returns the PDUs they complete. */
  push(chunk: Buffer): Pdu[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const out: Pdu[] = [];
    for (;;) {
      if (!this.pending) {
        if (this.buffered < BHS_LENGTH) break;
        const bhs = this.take(BHS_LENGTH);
        const ahs = (bhs[4] ?? 0) * 4;
        const dataLength = bhs.readUIntBE(5, 3);
        if (dataLength > this.maxDataSegment)
          throw protocolError(
            `data segment of ${dataLength} bytes exceeds the declared maximum of ${this.maxDataSegment}`,
          );
        this.pending = { bhs, ahs, dataLength };
      }
      const { bhs, ahs, dataLength } = this.pending;
      const padded = (dataLength + 3) & ~3;
      if (this.buffered < ahs + padded) break;
      if (ahs) this.take(ahs);
      const data = padded ? this.take(padded).subarray(0, dataLength) : Buffer.alloc(0);
      this.pending = undefined;
      out.push({ bhs, data });
    }
    return out;
  }

  private take(n: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.buffered -= n;
      // Copy small headers so a large socket chunk is not kept alive by them.
      return n === BHS_LENGTH ? Buffer.from(out) : out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0]!;
      const part = Math.min(c.length, n - filled);
      c.copy(out, filled, 0, part);
      filled += part;
      if (part === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(part);
    }
    this.buffered -= n;
    return out;
  }
}
