/**
 * The `tape-autoloader` plugin as tapir loads it (`package.json#tapir.main`): the `tape` kind and its schema. The
 * destination (and with it `@tapir/devices`, the iSCSI initiator and the SCSI command sets) is imported on first
 * use, so a run that writes no tape never loads it (docs/adr/0012-cli-start-up.md).
 */
import { definePlugin, type DestinationKind } from '@tapir/sdk';
import { tapeOptionsSchema, type TapeOptions } from './options.js';

const tapeDestination: DestinationKind<TapeOptions> = {
  kind: 'tape',
  schema: tapeOptionsSchema,
  create: async (options) => new (await import('./TapeDestination.js')).TapeDestination(options),
};

export default definePlugin({
  name: 'tape-autoloader',
  version: '0.1.0',
  api: '^1',
  apply(hooks) {
    hooks.destinations.for('tape').tap('tape-autoloader', () => tapeDestination);
  },
});
