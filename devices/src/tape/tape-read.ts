/** What one {@link TapeDrive.readBlock} found. */
export type TapeRead =
  | { readonly kind: 'data'; readonly data: Buffer }
  /** A filemark: the current tape file ended; the tape is now at the start of the next file. */
  | { readonly kind: 'filemark' }
  /** End of recorded data. */
  | { readonly kind: 'end-of-data' };

/** Payload of the `early-warning` event. */
export interface EarlyWarning {
  /** The drive's name. */
  readonly device: string;
  /** Tape file and block of the write that crossed into the early-warning zone (the block was written). */
  readonly file: number | undefined;
  readonly block: number | undefined;
}
