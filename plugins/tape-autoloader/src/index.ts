/**
 * `@tapir/plugin-tape-autoloader` — the `tape` destination: tapes in an autoloader or tape library reached over
 * iSCSI, with pools, volume labels (docs/format/tape-label-v1.md), spanning at end of medium, drive reservation and
 * per-slot licensing.
 *
 * @packageDocumentation
 */
import { definePlugin, type DestinationKind } from '@tapir/sdk';
import { tapeOptionsSchema, type TapeOptions } from './options.js';
import { TapeDestination } from './TapeDestination.js';

export type { TapeOptions, TapeChangerOptions, TapeDriveRef } from './options.js';
export type { VolumeLabel } from './VolumeLabel.js';
export { decodeLabel, encodeLabel, LABEL_BLOCK_BYTES } from './VolumeLabel.js';
export type { TapeFileLocation } from './tapeFile.js';

const tapeDestination: DestinationKind<TapeOptions> = {
  kind: 'tape',
  schema: tapeOptionsSchema,
  create: (options) => new TapeDestination(options),
};

export default definePlugin({
  name: 'tape-autoloader',
  version: '0.1.0',
  api: '^1',
  apply(hooks) {
    hooks.destinations.for('tape').tap('tape-autoloader', () => tapeDestination);
  },
});
