/** Transforms change member data on the way to the medium and back. */
import type { JSONSchema } from './schema.js';
import type { ThreadEncoding } from './encoding.js';
import type { ChunkBuffers } from './item.js';
import type { TransformDescriptor } from './saveSet.js';

/**
 * Named stages that order transforms: lower runs first on backup and last on restore.
 * Compression before encryption is a contract, not an accident of load order.
 */
export const TransformStage = Object.freeze({
  /** Deduplication and chunking. */
  DEDUPE: 100,
  /** Compression. */
  COMPRESS: 400,
  /** Encryption; must see compressed data. */
  ENCRYPT: 500,
});

/** A function from one chunk stream to another. It must propagate early termination of its consumer. */
export type ChunkPipe = (input: AsyncIterable<Uint8Array>) => AsyncIterable<Uint8Array>;

/** A transform configured for one run. */
export interface Transform {
  /** What restore needs to undo it; recorded in the save-set header. */
  readonly descriptor: TransformDescriptor;
  /**
   * Encodes one member's data. `buffers`, given to the last transform of a save set (since API 1.1), is where it may
   * take the buffers of the chunks it yields: tapir uses them again once it has written or copied them.
   */
  encode(buffers?: ChunkBuffers): ChunkPipe;
  /** Releases workers or keys. */
  close?(): Promise<void>;
  /**
   * The same encoding as a module any thread can load, for a member's whole data. A transform that has one lets
   * sources encode small items on their own threads ({@link ItemsPlan}); without it, every item comes through
   * `encode()`.
   */
  readonly threadEncoding?: ThreadEncoding;
  /**
   * True when `encode()` is done with each input chunk once it asks for the next one (it copies what it keeps).
   * Only then does tapir use the memory of the chunks it read again ({@link ChunkBuffers}).
   */
  readonly releasesInput?: boolean;
}

/** A kind of transform, as a plugin registers it. */
export interface TransformKind<O = Record<string, unknown>> {
  kind: string;
  /** The stage this kind runs at; see {@link TransformStage}. */
  stage: number;
  schema: JSONSchema;
  /** Creates the transform for a backup. */
  create(options: O): Transform | Promise<Transform>;
  /** Creates the decoder for a save set, from the descriptor its header recorded. */
  decoder(descriptor: TransformDescriptor): ChunkPipe;
}
