/** Where one extent of a save set lives on a tape: `Extent.location` of the `tape` destination. */
export interface TapeFileLocation {
  /** Tape file number from the beginning of the tape; file 0 is the volume label. */
  file: number;
  /** Bytes per block of this tape file (the last block is padded with zeros). */
  blockSize: number;
}

export function tapeFileLocation(location: Record<string, unknown>): TapeFileLocation {
  const file = location.file;
  const blockSize = location.blockSize;
  if (typeof file !== 'number' || typeof blockSize !== 'number' || file < 1 || blockSize <= 0)
    throw new RangeError(`not a tape extent location: ${JSON.stringify(location)}`);
  return { file, blockSize };
}
