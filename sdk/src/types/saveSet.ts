/** Save sets, media extents and their descriptions. */

/** The backup level of a save set. */
export type BackupLevel = 'full' | 'incremental' | 'differential';

/**
 * A save set's lifecycle state in the catalog. Only `complete` save sets are restorable; `expired` ones were complete
 * but their medium was recycled.
 */
export type SaveSetStatus = 'running' | 'complete' | 'failed' | 'expired';

/** A transform as recorded in a save-set header, so that restore can undo it. */
export interface TransformDescriptor {
  /** The transform kind (e.g. `zstd`). */
  kind: string;
  /** The stage it ran at; decoding runs in reverse stage order. */
  stage: number;
  /** Parameters that restore needs (never secrets). */
  params: Record<string, unknown>;
  /** File-name extension that member names get, so that a person with GNU tar knows what to undo (e.g. `.zst`). */
  extension?: string;
}

/** What a destination is told about a save set it is about to store. */
export interface SaveSetInfo {
  /** The save set's identifier (a UUID). */
  id: string;
  job: string;
  /** The source object this save set holds (e.g. the file tree, the VM). */
  object: string;
  level: BackupLevel;
  parent?: string;
  /** ISO 8601 start time. */
  startedAt: string;
}

/**
 * Where a destination stored (part of) a save set. Destinations put whatever they need to find it again in
 * `location`; the catalog stores it as given and hands it back on restore.
 */
export interface Extent {
  /** Order of this extent within the save set, from 0. */
  sequence: number;
  /** Medium identifier (a barcode, a directory) when the destination has media. */
  medium?: string;
  /** Destination-specific location (path, tape file number, …), JSON-serializable. */
  location: Record<string, unknown>;
  /** Bytes of the save set in this extent. */
  bytes: number;
}
