/**
 * The `files` plugin as tapir loads it (`package.json#tapir.main`): its kinds and their schemas. The source and the
 * restore target (and fs-xattr, a native module) are imported on first use, so a run that reads or restores no
 * files never loads them (docs/adr/0012-cli-start-up.md).
 */
import { definePlugin, type RestoreTargetKind, type SourceKind } from '@tapir/sdk';
import { prepareScanThread } from './scanThreads.js';
import { type FilesRestoreOptions, type FilesSourceOptions, restoreSchema, sourceSchema } from './schema.js';

const filesSource: SourceKind<FilesSourceOptions> = {
  kind: 'files',
  schema: sourceSchema,
  create: async (options) => new (await import('./FilesSource.js')).FilesSource(options),
  // The scan thread starts while tapir validates the configuration and opens the catalog.
  prepare: prepareScanThread,
};

const filesRestoreTarget: RestoreTargetKind<FilesRestoreOptions> = {
  kind: 'files',
  schema: restoreSchema,
  create: async (options) => new (await import('./FilesRestoreTarget.js')).FilesRestoreTarget(options),
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
