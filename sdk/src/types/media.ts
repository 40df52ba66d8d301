/** Media (tapes and other removable volumes) as the catalog tracks them, for destination plugins. */

/** A medium's life: `scratch` (free, may be labelled into a pool), `append` (has data, room for more), `full`,
 * `read-only`, `error` (failed; not written again), `cleaning` (a cleaning cartridge: never written), `retired`. */
export type MediumState = 'scratch' | 'append' | 'full' | 'read-only' | 'error' | 'cleaning' | 'retired';

/** What the catalog knows about one medium. */
export interface MediumRecord {
  /** The barcode (or another unique volume id). */
  id: string;
  /** `tape`, … */
  kind: string;
  /** The pool it belongs to; `scratch` media belong to the `scratch` pool. */
  pool: string;
  state: MediumState;
  /** The volume label written on it (JSON text), when it has one. */
  label?: string;
  /** Files (save-set extents) written after the label. */
  files: number;
  /** Bytes of save-set data written. */
  bytes: number;
  lastWritten?: string;
  /** Where it was last seen (e.g. `slot 12`), for messages. */
  location?: string;
  /** Until when its data must be kept (ISO 8601); after that it may be recycled. */
  retainUntil?: string;
}

/** Filters for {@link MediaStore.list}. */
export interface MediaFilter {
  pool?: string;
  state?: MediumState | MediumState[];
  kind?: string;
}

/** The catalog's media records, as tapir hands them to destination plugins. */
export interface MediaStore {
  list(filter?: MediaFilter): Promise<MediumRecord[]>;
  get(id: string): Promise<MediumRecord | undefined>;
  /** Creates or replaces a record. */
  put(record: MediumRecord): Promise<void>;
  /**
   * Returns a medium to scratch (pool `scratch`, no label, no retention date) and, in the same transaction, marks
   * every complete save set with data on it `expired` with `reason`: its data is about to be overwritten. Returns the
   * ids of the save sets that expired.
   */
  recycle(id: string, reason: string): Promise<string[]>;
  /** The ids of the complete save sets with data on a medium (what recycling or relabelling it would lose). */
  liveSaveSets(id: string): Promise<string[]>;
}

/** Licensed feature counts, read-only. */
export interface LicenseView {
  /** How many of `feature` (e.g. `autoloader.slots`) this installation may use. */
  count(feature: string): Promise<number>;
}

/** Something that happened to a medium that people should hear about. */
export interface MediaEvent {
  type: 'media';
  /** `full`: filled and unloaded; `needed`: a medium that is not in the library is wanted; `cleaning`: a drive asks
   * for cleaning (or was cleaned); `labelled`: a medium got a new volume label (a scratch one joined a pool);
   * `recycled`: a medium whose retention passed went back to scratch, its save sets expired; `error`: a medium
   * failed. */
  event: 'full' | 'needed' | 'cleaning' | 'labelled' | 'recycled' | 'error';
  medium?: string;
  device?: string;
  message: string;
}
