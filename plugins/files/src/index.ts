/**
 * `@tapir/plugin-files` — the `files` source and restore target.
 *
 * @packageDocumentation
 */
import { definePlugin, type RestoreTargetKind, type SourceKind } from '@tapir/sdk';
import { FilesRestoreTarget } from './FilesRestoreTarget.js';
import { FilesSource } from './FilesSource.js';
import { type FilesRestoreOptions, type FilesSourceOptions, restoreSchema, sourceSchema } from './schema.js';

export type { FilesRestoreOptions, FilesSourceOptions } from './schema.js';

const filesSource: SourceKind<FilesSourceOptions> = {
  kind: 'files',
  schema: sourceSchema,
  create: (options) => new FilesSource(options),
};

const filesRestoreTarget: RestoreTargetKind<FilesRestoreOptions> = {
  kind: 'files',
  schema: restoreSchema,
  create: (options) => new FilesRestoreTarget(options),
};

export default definePlugin({
  name: 'files',
  version: '0.1.0',
  api: '^1',
  apply(hooks) {
    hooks.sources.for('files').tap('files', () => filesSource);
    hooks.restoreTargets.for('files').tap('files', () => filesRestoreTarget);
  },
});
