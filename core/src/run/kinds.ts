import { type Destination, pluginError, type RunContext } from '@tapir/sdk';
import type { KindConfig } from '../config/types.js';
import type { PluginHost } from '../host/PluginHost.js';

/** The options of a `{ kind, ...options }` entry, without `kind`. */
export function splitKind(config: KindConfig): Record<string, unknown> {
  const { kind: _kind, ...options } = config;
  return options;
}

/** Opens the destination a `{ kind, ...options }` entry names. */
export async function openDestination(host: PluginHost, config: KindConfig, ctx: RunContext): Promise<Destination> {
  const provided = host.require('destinations', config.kind);
  try {
    return await provided.value.create(splitKind(config), ctx);
  } catch (error) {
    throw pluginError(provided.plugin, 'destination.create', error);
  }
}
