/**
 * `@tapir/plugin-xenserver` — Citrix XenServer / XCP-ng VMs over XAPI: the `xenserver` source and restore target.
 *
 * The default export is the plugin (`plugin.ts`, which tapir imports alone, through `package.json#tapir.main`); the
 * named exports are the library: the source and restore target classes, which load xen-api.
 *
 * @packageDocumentation
 */
export { default } from './plugin.js';
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
