import type { Logger, MediaEvent, RunContext, RunWarning } from '@tapir/sdk';
import type { Catalog } from '../catalog/Catalog.js';
import type { DeviceConfig } from '../config/types.js';
import { CatalogMediaStore } from '../catalog/CatalogMediaStore.js';
import type { PluginHost } from '../host/PluginHost.js';
import type { LicenseStore } from '../licensing/LicenseStore.js';

/** The services a run hands to plugins: media records, licence counts, media events, home. */
export interface RunServices {
  host: PluginHost;
  catalog: Catalog;
  log: Logger;
  signal: AbortSignal;
  licenses?: LicenseStore;
  home?: string;
  /** Where media events go besides the `media` hook: the run's notifiers. */
  notify?: (event: MediaEvent) => Promise<void>;
  /** The configuration's `devices:` section, for destinations that name a device (`changer: lib1`). */
  devices?: Record<string, DeviceConfig>;
}

const devicesOf = new WeakMap<RunContext, Record<string, DeviceConfig>>();

/** The `devices:` section of the run's configuration, if the run was given it. */
export function configuredDevices(ctx: RunContext): Record<string, DeviceConfig> | undefined {
  return devicesOf.get(ctx);
}

/** Builds the {@link RunContext} plugins get during a run. */
export function runContext(job: string, env: RunServices, warn: (w: RunWarning) => void): RunContext {
  const ctx: RunContext = {
    job,
    signal: env.signal,
    log: env.log,
    warn,
    media: new CatalogMediaStore(env.catalog),
    ...(env.licenses ? { licenses: env.licenses } : {}),
    ...(env.home ? { home: env.home } : {}),
    emit: async (event) => {
      env.log.info({ media: event }, event.message);
      await env.host.hooks.media.promise(event);
      await env.notify?.(event);
    },
  };
  if (env.devices) devicesOf.set(ctx, env.devices);
  return ctx;
}
