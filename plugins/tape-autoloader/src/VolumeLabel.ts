/** The tapir volume label: tape file 0 of every tapir tape (docs/format/tape-label-v1.md). */

/** What the label says about a tape. */
export interface VolumeLabel {
  format: 'tapir-volume-label';
  version: 1;
  /** The barcode the tape had when it was labelled. */
  barcode: string;
  /** The pool it was labelled into. */
  pool: string;
  /** Bytes per block of the save-set files on this tape. */
  blockSize: number;
  /** ISO 8601. */
  labelledAt: string;
  /** The tapir version that wrote the label. */
  writer: string;
}

/** The label is one block of this many bytes: JSON text, a newline, zeros. */
export const LABEL_BLOCK_BYTES = 32_768;

const MAGIC = '{"format":"tapir-volume-label"';

/** Encodes a label as its one tape block. */
export function encodeLabel(label: VolumeLabel): Buffer {
  const { format, version, barcode, pool, blockSize, labelledAt, writer } = label;
  const text = `${JSON.stringify({ format, version, barcode, pool, blockSize, labelledAt, writer })}\n`;
  const block = Buffer.alloc(LABEL_BLOCK_BYTES);
  if (Buffer.byteLength(text) > LABEL_BLOCK_BYTES) throw new RangeError('volume label too long');
  block.write(text, 'utf8');
  return block;
}

/**
 * Decodes the first block of a tape. Undefined when it is not a tapir volume label (foreign data);
 * throws for a tapir label of a version this code does not know.
 */
export function decodeLabel(block: Uint8Array): VolumeLabel | undefined {
  const head = Buffer.from(block.subarray(0, Math.min(block.length, LABEL_BLOCK_BYTES)));
  if (!head.subarray(0, MAGIC.length).equals(Buffer.from(MAGIC))) return undefined;
  const end = head.indexOf(0x0a);
  let parsed: Partial<VolumeLabel>;
  try {
    parsed = JSON.parse(head.subarray(0, end < 0 ? head.indexOf(0) : end).toString('utf8')) as Partial<VolumeLabel>;
  } catch {
    return undefined;
  }
  if (parsed.version !== 1) throw new RangeError(`tapir volume label version ${String(parsed.version)} is not known`);
  if (typeof parsed.barcode !== 'string' || typeof parsed.pool !== 'string' || typeof parsed.blockSize !== 'number')
    return undefined;
  return parsed as VolumeLabel;
}
