import type { Logger } from 'pino';
import { join } from 'node:path';
import type { Config } from '@oclif/core';
import type { JSONSchema } from '@tapir/sdk';
import type { Catalog } from '../catalog/Catalog.js';
import { Catalog as CatalogImpl } from '../catalog/Catalog.js';
import { configSchema, configUse } from '../config/coreSchema.js';
import { checkSchema, readConfigFile, validateConfig } from '../config/loadConfig.js';
import type { TapirConfig } from '../config/types.js';
import { PluginHost, type PluginPackage } from '../host/PluginHost.js';
import { LicenseStore } from '../licensing/LicenseStore.js';
import type { RunServices } from '../run/runContext.js';
import { corePlugin } from './builtins.js';
import { createLogger } from './logger.js';

/** What a command works with: home, logger, plugins, configuration and catalog. */
export interface Environment {
  home: string;
  configFile: string;
  log: Logger;
  host: PluginHost;
  /** The validated configuration; an empty one when the file does not exist and the command does not need it. */
  config: TapirConfig;
  catalog: Catalog;
  licenses: LicenseStore;
  /** What runs hand to plugins (media records, licence counts, events), with the command's cancellation signal. */
  services(signal: AbortSignal): RunServices;
  close(): Promise<void>;
}

/** Packages oclif knows (bundled, user-installed, linked), as the plugin host wants them. */
export function pluginPackages(config: Config): PluginPackage[] {
  return config.getPluginsList().map((p) => ({
    name: p.name,
    version: p.version,
    root: p.root,
    type: p.type,
    pjson: p.pjson as unknown as PluginPackage['pjson'],
  }));
}

/** Loads plugins, then the configuration (validated against every plugin's schema), then opens the catalog. */
export async function openEnvironment(args: {
  home: string;
  configFile: string;
  packages: PluginPackage[];
  /** When true, a missing configuration file is an error. */
  requireConfig: boolean;
  logLevel?: string;
  /** Public keys the distribution trusts for licences (`package.json#tapir.licenseKeys` of the CLI root). */
  licenseKeys?: Record<string, string>;
  /**
   * For a command about to back up: the source kinds it will open, from the configuration as read (not yet
   * validated). They get their `prepare` hint once plugins are loaded, and start their threads while the
   * configuration is validated and the catalog opened.
   */
  sourceKinds?: (raw: unknown) => string[];
}): Promise<Environment> {
  const log = createLogger(args.home, args.logLevel);
  const host = new PluginHost(log);
  const raw = await readConfigFile(args.configFile).catch((error: { code?: string }) => {
    if (!args.requireConfig && error.code === 'TAPIR_E_CONFIG_NOT_FOUND') return { version: 1 };
    throw error;
  });
  const settings = ((raw as { plugins?: Record<string, Record<string, unknown>> })?.plugins ?? {}) as Record<
    string,
    Record<string, unknown>
  >;
  await host.load(args.packages, [corePlugin], settings, args.home);
  if (args.sourceKinds) host.prepare(args.sourceKinds(raw));
  const use = configUse(raw);
  const kinds = {
    sources: host.schemas('sources'),
    destinations: host.schemas('destinations'),
    restoreTargets: host.schemas('restoreTargets'),
    transforms: host.schemas('transforms'),
    notifiers: host.schemas('notifiers'),
  };
  // The schemas that go into the configuration's, checked first, so that a plugin's broken schema is named as such.
  for (const [category, schemas] of Object.entries(kinds) as Array<[keyof typeof kinds, Map<string, JSONSchema>]>) {
    for (const [kind, schema] of schemas) {
      if (!use.kinds.has(kind)) continue;
      const what = `${category.replace(/s$/, '').replace(/T/, ' t')} kind "${kind}"`;
      checkSchema(schema, { plugin: host.find(category, kind)!.plugin, what });
    }
  }
  for (const plugin of host.plugins)
    if (plugin.configSchema) checkSchema(plugin.configSchema, { plugin: plugin.name, what: 'its settings' });
  const schema = configSchema({ ...kinds, plugins: new Map(host.plugins.map((p) => [p.name, p.configSchema])) }, use);
  const config = validateConfig(raw, schema, args.configFile);
  const catalog = await CatalogImpl.open(config.catalog.path ?? join(args.home, 'catalog.db'));
  const licenses = new LicenseStore(args.home, args.licenseKeys ?? {});
  return {
    home: args.home,
    configFile: args.configFile,
    log,
    host,
    config,
    catalog,
    licenses,
    services: (signal) => ({ host, catalog, log, signal, licenses, home: args.home, devices: config.devices }),
    async close() {
      await catalog.close();
      log.flush?.();
    },
  };
}
