/** Destinations store save-set archives on media. */
import type { JSONSchema } from './schema.js';
import type { RunContext } from './context.js';
import type { Extent, SaveSetInfo } from './saveSet.js';
import type { MediumRecord } from './media.js';

/**
 * Receives one save set's archive bytes, in order.
 *
 * @remarks
 * Lifecycle: `write`* then `commit` on success, or `abort` on any failure. A save set is complete only once
 * `commit` has resolved: the bytes are durable and the destination can find them from the returned extents.
 */
export interface SaveSetWriter {
  /**
   * Accepts the next bytes. Resolves when the writer can take more (backpressure). Once it has resolved, the chunk's
   * memory is tapir's again and may be overwritten: a writer that keeps bytes beyond that must copy them.
   */
  write(chunk: Uint8Array): Promise<void>;
  /**
   * Accepts the next bytes as a list, in order: the same as `write` of the buffers joined. Optional; tapir then
   * hands over lists of about a MiB (member headers, data, padding) without copying them into one buffer, which a
   * destination that can gather (`writev(2)`) should take. Without it, tapir joins each list and calls `write`. The
   * chunks' memory is tapir's again once it has resolved, as with `write`.
   */
  writev?(chunks: Uint8Array[]): Promise<void>;
  /** Makes the save set durable and returns where it lives. */
  commit(): Promise<Extent[]>;
  /** Discards what was written. Must not throw for a writer that already failed. */
  abort(reason: unknown): Promise<void>;
}

/** Reads a stored save set back as one byte stream. */
export interface SaveSetReader {
  /** The archive bytes from the beginning, across all extents. */
  read(signal: AbortSignal): AsyncIterable<Uint8Array>;
  close(): Promise<void>;
}

/** A destination opened with its options. */
export interface Destination {
  /** A short description for messages, e.g. `disk:/backups`. */
  readonly description: string;
  /** Checks that the destination can take a save set now (writable, medium present). Writes nothing lasting. */
  check(ctx: RunContext): Promise<void>;
  create(info: SaveSetInfo, ctx: RunContext): Promise<SaveSetWriter>;
  open(extents: Extent[], ctx: RunContext): Promise<SaveSetReader>;
  /** Removes a save set's data (retention, or cleaning up after a failed run). */
  remove?(extents: Extent[], ctx: RunContext): Promise<void>;
  /**
   * Removes whatever an unfinished save set left behind (a temporary file of a killed run). Called by tapir for
   * save sets the catalog found abandoned; must succeed when nothing is left.
   */
  discard?(saveSetId: string, ctx: RunContext): Promise<void>;
  /**
   * Lists the save sets stored here, each as the extents to {@link Destination.open} it with, so that tapir can
   * rebuild its catalog from the media (`tapir catalog rebuild`). Incomplete ones may be listed: tapir checks.
   */
  list?(ctx: RunContext): Promise<Extent[][]>;
  /**
   * Writes a new volume label on each removable medium named, for `tapir media label`; returns the media records as
   * they are afterwards. tapir has already refused media with complete save sets unless `force` is set; the
   * destination checks the media themselves (data it did not write, a label of another catalog) and overwrites
   * those only with `force`. Save sets on a relabelled medium must be expired through `ctx.media.recycle`
   * before its label is overwritten.
   */
  labelMedia?(ids: string[], options: LabelMediaOptions, ctx: RunContext): Promise<MediumRecord[]>;
  /** Releases the destination's resources. */
  close?(): Promise<void>;
}

/** What `tapir media label` asks of {@link Destination.labelMedia}. */
export interface LabelMediaOptions {
  /** The pool the media join; `scratch` makes them scratch media any pool may take. */
  pool: string;
  /** Overwrite media holding data or save sets. */
  force: boolean;
}

/** A kind of destination, as a plugin registers it. */
export interface DestinationKind<O = Record<string, unknown>> {
  kind: string;
  schema: JSONSchema;
  create(options: O, ctx: RunContext): Destination | Promise<Destination>;
}
