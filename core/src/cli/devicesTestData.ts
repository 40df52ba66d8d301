/**
 * The blocks `tapir tape write-test` writes and `tapir tape read-test` checks: each block starts with a header that
 * names the test (magic, index, count, block size, seed), the rest is AES-256-CTR keystream from the seed and the
 * index, so any block can be regenerated and compared without keeping anything outside the tape.
 */
import { createCipheriv, createHash, randomBytes } from 'node:crypto';

/** `TAPIR-TAPE-TEST1`: the first 16 bytes of every test block. */
export const TEST_MAGIC = Buffer.from('TAPIR-TAPE-TEST1', 'ascii');
/** Bytes of the header at the start of every block. */
export const TEST_HEADER_BYTES = 64;

/** The parameters every block of one write-test carries. */
export interface TestHeader {
  readonly index: number;
  readonly count: number;
  readonly blockSize: number;
  /** 16 random bytes, hex. */
  readonly seed: string;
}

/** A fresh random seed. */
export function newSeed(): string {
  return randomBytes(16).toString('hex');
}

/** Block `index` of a test. */
export function testBlock(header: TestHeader): Buffer {
  const block = Buffer.alloc(header.blockSize);
  TEST_MAGIC.copy(block, 0);
  block.writeUInt32BE(header.index, 16);
  block.writeUInt32BE(header.count, 20);
  block.writeUInt32BE(header.blockSize, 24);
  Buffer.from(header.seed, 'hex').copy(block, 28, 0, 16);
  const key = createHash('sha256').update(Buffer.from(header.seed, 'hex')).digest();
  const iv = Buffer.alloc(16);
  iv.writeUInt32BE(header.index, 12);
  const cipher = createCipheriv('aes-256-ctr', key, iv);
  const body = block.subarray(TEST_HEADER_BYTES);
  cipher.update(body).copy(body);
  return block;
}

/** The header of a block, or undefined when it is not a test block. */
export function parseTestHeader(block: Uint8Array): TestHeader | undefined {
  const b = Buffer.from(block.buffer, block.byteOffset, block.byteLength);
  if (b.length < TEST_HEADER_BYTES || !b.subarray(0, 16).equals(TEST_MAGIC)) return undefined;
  return {
    index: b.readUInt32BE(16),
    count: b.readUInt32BE(20),
    blockSize: b.readUInt32BE(24),
    seed: b.subarray(28, 44).toString('hex'),
  };
}
