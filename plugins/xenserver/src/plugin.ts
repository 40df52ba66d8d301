/**
 * The `xenserver` plugin as tapir loads it (`package.json#tapir.main`): its kinds and their schemas. The XAPI
 * client (xen-api and everything behind it) is imported on first use, so a run that uses no XenServer kind never
 * loads it (docs/adr/0012-cli-start-up.md).
 */
import { definePlugin, type RestoreTargetKind, type SourceKind } from '@tapir/sdk';
import { announceRestoreTarget } from './restoreObserver.js';
import { restoreSchema, sourceSchema, type XenServerRestoreOptions, type XenServerSourceOptions } from './schema.js';

const xenserverSource: SourceKind<XenServerSourceOptions> = {
  kind: 'xenserver',
  schema: sourceSchema,
  create: async (options) => (await import('./XenServerSource.js')).XenServerSource.open(options),
  expand: async (options, ctx) => (await import('./vmSelection.js')).expandVmSelection(options, ctx),
};

const xenserverRestoreTarget: RestoreTargetKind<XenServerRestoreOptions> = {
  kind: 'xenserver',
  schema: restoreSchema,
  create: async (options, ctx) => {
    const { XenServerRestoreTarget } = await import('./XenServerRestoreTarget.js');
    return announceRestoreTarget(new XenServerRestoreTarget(options, ctx));
  },
};

export default definePlugin({
  name: 'xenserver',
  version: '0.1.0',
  api: '^1',
  apply(hooks) {
    hooks.sources.for('xenserver').tap('xenserver', () => xenserverSource);
    hooks.restoreTargets.for('xenserver').tap('xenserver', () => xenserverRestoreTarget);
  },
});
