/**
 * `@tapir/plugin-xenserver` — Citrix XenServer / XCP-ng VMs over XAPI: the `xenserver` source and restore target.
 *
 * @packageDocumentation
 */
import { definePlugin, type RestoreTargetKind, type SourceKind } from '@tapir/sdk';
import { restoreSchema, sourceSchema, type XenServerRestoreOptions, type XenServerSourceOptions } from './schema.js';
import { XenServerRestoreTarget } from './XenServerRestoreTarget.js';
import { XenServerSource } from './XenServerSource.js';
import { expandVmSelection } from './vmSelection.js';
import { announceRestoreTarget } from './restoreObserver.js';

export type {
  BackupMethod,
  ExportFormat,
  PoolOptions,
  XenServerRestoreOptions,
  XenServerSourceOptions,
} from './schema.js';
export { XenServerSource } from './XenServerSource.js';
export { XenServerRestoreTarget, type RestoredObjects } from './XenServerRestoreTarget.js';
export type { HealthCheckReport } from './VmHealthCheck.js';
export type { PoolVm, PoolVmDisk } from './poolVms.js';

const xenserverSource: SourceKind<XenServerSourceOptions> = {
  kind: 'xenserver',
  schema: sourceSchema,
  create: (options) => XenServerSource.open(options),
  expand: (options, ctx) => expandVmSelection(options, ctx),
};

const xenserverRestoreTarget: RestoreTargetKind<XenServerRestoreOptions> = {
  kind: 'xenserver',
  schema: restoreSchema,
  create: (options, ctx) => announceRestoreTarget(new XenServerRestoreTarget(options, ctx)),
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
