/** Reads exact byte counts from a stream of chunks, forward only. */
export class ByteReader {
  private readonly iterator: AsyncIterator<Uint8Array>;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private ended = false;
  /** Bytes handed out so far. */
  position = 0;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  /** Up to `n` bytes; shorter only at the end of the stream. */
  async read(n: number): Promise<Buffer> {
    while (this.pendingBytes < n && !this.ended) {
      const next = await this.iterator.next();
      if (next.done) this.ended = true;
      else {
        const chunk = Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
        this.pending.push(chunk);
        this.pendingBytes += chunk.length;
      }
    }
    const all = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    const out = all.subarray(0, Math.min(n, all.length));
    const rest = all.subarray(out.length);
    this.pending = rest.length > 0 ? [rest] : [];
    this.pendingBytes = rest.length;
    this.position += out.length;
    return out;
  }

  /** Exactly `n` bytes, or an error naming what was being read. */
  async readExactly(n: number, what: string): Promise<Buffer> {
    const out = await this.read(n);
    if (out.length < n) throw new Error(`stream ended inside ${what} (${out.length} of ${n} bytes)`);
    return out;
  }

  /** Skips `n` bytes. */
  async skip(n: number, what: string): Promise<void> {
    let left = n;
    while (left > 0) {
      const piece = await this.read(Math.min(left, 4 * 1024 * 1024));
      if (piece.length === 0) throw new Error(`stream ended inside ${what}`);
      left -= piece.length;
    }
  }

  /** Stops reading the source. */
  async close(): Promise<void> {
    await this.iterator.return?.();
  }
}
