/**
 * `@tapir/plugin-disk` — the `disk` destination: a directory of save-set files.
 *
 * @packageDocumentation
 */
import { definePlugin, type DestinationKind } from '@tapir/sdk';
import { DiskDestination, type DiskOptions } from './DiskDestination.js';

export type { DiskOptions } from './DiskDestination.js';

const diskDestination: DestinationKind<DiskOptions> = {
  kind: 'disk',
  schema: {
    type: 'object',
    required: ['path'],
    properties: { path: { type: 'string', minLength: 1 } },
    additionalProperties: false,
  },
  create: (options) => new DiskDestination(options),
};

export default definePlugin({
  name: 'disk',
  version: '0.1.0',
  api: '^1',
  apply(hooks) {
    hooks.destinations.for('disk').tap('disk', () => diskDestination);
  },
});
