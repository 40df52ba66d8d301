/**
 * Where the tape is, as tapir tracks it in software.
 *
 * @remarks
 * Real drives and emulators differ in what READ POSITION reports (tgt reports nothing), so the drive object counts
 * files and blocks itself from every command it issues. A field is `undefined` when tapir cannot know it (after a
 * reset, a reconnect, or spacing that ended early without a residue); rewind or {@link TapeDrive.seekEndOfData} to
 * know it again.
 */
export interface TapePosition {
  /** Tape file number from the beginning of the tape (0 = before the first filemark). */
  readonly file: number | undefined;
  /** Block number within the current file. */
  readonly block: number | undefined;
  /** The tape is at end of data: the next write appends. */
  readonly atEndOfData: boolean;
}

/** The position right after a rewind. */
export const BEGINNING_OF_TAPE: TapePosition = Object.freeze({ file: 0, block: 0, atEndOfData: false });

/** A position nothing is known about. */
export const UNKNOWN_POSITION: TapePosition = Object.freeze({ file: undefined, block: undefined, atEndOfData: false });

/** True when both file and block are known. */
export function isKnown(position: TapePosition): position is TapePosition & { file: number; block: number } {
  return position.file !== undefined && position.block !== undefined;
}
