/**
 * A continuation marker: a one-block tape file written just before the file that continues a save set from an
 * earlier tape, so that `media scan` / `catalog rebuild` can chain the parts without the catalog
 * (docs/format/tape-label-v1.md). The save-set files themselves stay plain pax byte streams.
 */
export interface ContinuationMarker {
  format: 'tapir-continuation';
  version: 1;
  /** The save set the next tape file continues. */
  saveSet: string;
  /** The extent sequence number of the next tape file (1 for the second part). */
  sequence: number;
  /** Save-set bytes before the next tape file. */
  offset: number;
}

/** Markers are one block of this many bytes: JSON, a newline, zeros. */
export const MARKER_BLOCK_BYTES = 4096;

const MAGIC = '{"format":"tapir-continuation"';

export function encodeMarker(marker: Omit<ContinuationMarker, 'format' | 'version'>): Buffer {
  const block = Buffer.alloc(MARKER_BLOCK_BYTES);
  const { saveSet, sequence, offset } = marker;
  block.write(`${JSON.stringify({ format: 'tapir-continuation', version: 1, saveSet, sequence, offset })}\n`, 'utf8');
  return block;
}

/** The marker in a tape file's first block, or undefined when the block is something else. */
export function decodeMarker(block: Uint8Array): ContinuationMarker | undefined {
  const head = Buffer.from(block.subarray(0, Math.min(block.length, MARKER_BLOCK_BYTES)));
  if (!head.subarray(0, MAGIC.length).equals(Buffer.from(MAGIC))) return undefined;
  try {
    const parsed = JSON.parse(head.subarray(0, head.indexOf(0x0a)).toString('utf8')) as ContinuationMarker;
    return parsed.version === 1 && typeof parsed.saveSet === 'string' ? parsed : undefined;
  } catch {
    return undefined;
  }
}
