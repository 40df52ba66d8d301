import { TapirError } from '@tapir/sdk';

/**
 * Pulls exact byte counts out of an async chunk stream, keeping at most one chunk of look-ahead.
 * Tracks the absolute offset so that callers can report where damage is.
 */
export class ByteReader {
  private readonly iterator: AsyncIterator<Uint8Array>;
  private pending: Buffer = Buffer.alloc(0);
  private done = false;
  /** Bytes consumed from the start of the stream. */
  offset = 0;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  /** Reads exactly `n` bytes; throws TAPIR_E_FORMAT when the stream ends first. */
  async exactly(n: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    let need = n;
    while (need > 0) {
      const chunk = await this.upTo(need);
      if (chunk === null) {
        throw new TapirError(
          'TAPIR_E_FORMAT',
          `save set ends early: needed ${n} bytes at offset ${this.offset - (n - need)}`,
        );
      }
      parts.push(chunk);
      need -= chunk.length;
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, n);
  }

  /** Reads between 1 and `max` bytes, or returns null at the end of the stream. */
  async upTo(max: number): Promise<Buffer | null> {
    if (this.pending.length === 0) {
      if (this.done) return null;
      const next = await this.iterator.next();
      if (next.done) {
        this.done = true;
        return null;
      }
      this.pending = Buffer.isBuffer(next.value)
        ? next.value
        : Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
    }
    const take = Math.min(max, this.pending.length);
    const out = this.pending.subarray(0, take);
    this.pending = this.pending.subarray(take);
    this.offset += take;
    return out;
  }

  /** Yields exactly `n` bytes as chunks without copying them together. */
  async *stream(n: number): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      const chunk = await this.upTo(Math.min(left, 4 << 20));
      if (chunk === null) throw new TapirError('TAPIR_E_FORMAT', `save set ends early at offset ${this.offset}`);
      left -= chunk.length;
      yield chunk;
    }
  }

  /** Skips `n` bytes. */
  async skip(n: number): Promise<void> {
    for await (const _ of this.stream(n)) {
      // discard
    }
  }

  /** Stops the underlying stream. */
  async close(): Promise<void> {
    this.done = true;
    await this.iterator.return?.();
  }
}
