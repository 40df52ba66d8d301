/**
 * `@tapir/plugin-tape-autoloader` — the `tape` destination: tapes in an autoloader or tape library reached over
 * iSCSI, with pools, volume labels (docs/format/tape-label-v1.md), spanning at end of medium, drive reservation and
 * per-slot licensing.
 *
 * The default export is the plugin (`plugin.ts`, which tapir imports alone, through `package.json#tapir.main`); the
 * named exports are the library.
 *
 * @packageDocumentation
 */
export { default } from './plugin.js';
export type { TapeOptions, TapeChangerOptions, TapeDriveRef } from './options.js';
export type { VolumeLabel } from './VolumeLabel.js';
export { decodeLabel, encodeLabel, LABEL_BLOCK_BYTES } from './VolumeLabel.js';
export type { TapeFileLocation } from './tapeFile.js';
