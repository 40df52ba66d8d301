/**
 * Constants and types of the tapir save-set format, version 1 (see docs/format/save-set-v1.md).
 */
import type { SaveSetInfo, StoredItem, TransformDescriptor } from '@tapir/sdk';

export const FORMAT_NAME = 'tapir-saveset';
export const FORMAT_VERSION = 1;
/** Directory of tapir's own members inside the archive. */
export const META_DIR = '.tapir-saveset';
export const HEADER_MEMBER = `${META_DIR}/header.json`;
/**
 * Bound on the bytes of one member whose size is not known in advance (transformed data, streams, manifest). One
 * segment is held in memory per stream: 8 MiB keeps peak RSS ~65 MB lower than 32 MiB at the same speed.
 */
export const DEFAULT_SEGMENT_SIZE = 8 << 20;

/** Prefix of the manifest members' names. */
export const MANIFEST_PREFIX = `${META_DIR}/manifest.`;

/** The save-set header: the first member. It says what the destination was told, and how to read the rest. */
export interface SaveSetHeader extends SaveSetInfo {
  format: typeof FORMAT_NAME;
  version: typeof FORMAT_VERSION;
  /** Algorithm of item hashes: `blake3`, or `sha256` / `blake2b512` (ADR 0014, 0011); readers accept any OpenSSL name too. */
  hash: string;
  /** Transforms applied to item data, in encode order. */
  transforms: TransformDescriptor[];
  segmentSize: number;
  /** The tapir version that wrote it. */
  writer: string;
}

/** Where one data member of an item lies in the archive. */
export interface MemberLocation {
  /** Offset of the member's first header block from the start of the archive. */
  offset: number;
  /** Bytes of member data (transformed). */
  size: number;
}

/** One manifest line for an item. */
export interface ManifestItem extends StoredItem {
  /** Data members of the item in this archive, in order. Absent for items whose data lives in an ancestor. */
  members?: MemberLocation[];
}

/** The last manifest line. */
export interface ManifestEnd {
  $end: {
    items: number;
    /** Plaintext bytes stored in this archive. */
    bytes: number;
    completedAt: string;
  };
}
