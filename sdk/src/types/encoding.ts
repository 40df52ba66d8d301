/**
 * Encoding an item's whole data on a source's own thread.
 *
 * @remarks
 * A source that reads small items on a thread of its own (the `files` source reads files up to 256 KiB on its scan
 * thread) may hash and encode them there, with every transform of the save set, and hand over the result as
 * {@link SourceItem.encoded}. The thread that writes the save set then only frames the member. The bytes stored are
 * the same either way. tapir offers this through {@link ItemsPlan.itemEncoder} on full save sets whose every
 * transform has a {@link ThreadEncoding}; a source is free to ignore it.
 *
 * @packageDocumentation
 */

/** A transform's encoding as a module any thread can load. */
export interface ThreadEncoding {
  /**
   * URL of an ES module exporting `createChunkEncoder(params)`, which returns a function from a member's whole data
   * to its encoded bytes. Its result must equal what the transform's `encode()` makes of that data given as one chunk.
   * The result may be a view of the encoder's own memory, valid until its next call; the input is not kept.
   */
  module: string;
  /** Its argument: structured-clonable, never secrets. */
  params: unknown;
}

/** How to hash and encode an item's whole data on another thread; structured-clonable, sent there as it is. */
export interface ItemEncoderSpec {
  /** URL of the ES module exporting `createItemEncoder(config)`; see {@link loadItemEncoder}. */
  module: string;
  /** Its argument. */
  config: unknown;
}

/** An item's whole data as an item encoder made it. */
export interface EncodedData {
  /** The encoder that made it. tapir reads the item through `open` instead when this is not the save set's own. */
  encoder: string;
  /** Lowercase hex digest of the plaintext, with the save set's item hash. */
  hash: string;
  /** Bytes of plaintext. */
  size: number;
  /** The encoded bytes: the member's data. */
  data: Uint8Array;
}

/**
 * The function an item encoder module's `createItemEncoder` returns. The `data` of its result may be a view of the
 * encoder's memory (or of the input), valid until its next call: copy it before encoding the next item.
 */
export type ItemEncoder = (data: Uint8Array) => EncodedData;

/** What tapir tells a source about the save set it is about to read. */
export interface ItemsPlan {
  /** Present when the source may encode items itself; see the remarks of this module. */
  itemEncoder?: ItemEncoderSpec;
}
