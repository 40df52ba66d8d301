import type { TapeDrive } from '@tapir/devices';
import type { MediumRecord } from '@tapir/sdk';
import type { ResourceLock } from './ResourceLock.js';
import type { VolumeLabel } from './VolumeLabel.js';

/** A tape in a drive, both reserved by this process. */
export interface MountedTape {
  readonly barcode: string;
  /** The storage slot it came from and goes back to. */
  readonly slot: number;
  readonly lock: ResourceLock;
  record: MediumRecord;
  label: VolumeLabel;
}

/** A reserved drive, with the tape it holds for us (if any). */
export interface Mount {
  /** The drive element address. */
  readonly element: number;
  readonly drive: TapeDrive;
  readonly lock: ResourceLock;
  tape?: MountedTape;
}
