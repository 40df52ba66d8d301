import { type Destination, pluginError, type RunContext, TapirError } from '@tapir/sdk';
import type { DeviceConfig, KindConfig } from '../config/types.js';
import type { PluginHost } from '../host/PluginHost.js';
import { configuredDevices } from './runContext.js';

/** The options of a `{ kind, ...options }` entry, without `kind`. */
export function splitKind(config: KindConfig): Record<string, unknown> {
  const { kind: _kind, ...options } = config;
  return options;
}

/** Opens the destination a `{ kind, ...options }` entry names. */
export async function openDestination(host: PluginHost, config: KindConfig, ctx: RunContext): Promise<Destination> {
  const provided = host.require('destinations', config.kind);
  const options = await withNamedChanger(splitKind(config), ctx);
  try {
    return await provided.value.create(options, ctx);
  } catch (error) {
    throw pluginError(provided.plugin, 'destination.create', error);
  }
}

/**
 * A destination option `changer: '<name>'` (the `tape` destination) resolved from the configuration's `devices:`
 * section into the changer's settings, with drives named there resolved to `{ url, lun }`. The catalog keeps the
 * name, so a restore uses the devices as configured then.
 */
async function withNamedChanger(options: Record<string, unknown>, ctx: RunContext): Promise<Record<string, unknown>> {
  const name = options.changer;
  if (typeof name !== 'string') return options;
  const devices = configuredDevices(ctx) ?? {};
  const device = devices[name];
  if (device?.kind !== 'iscsi-changer')
    throw new TapirError(
      'TAPIR_E_CONFIG_INVALID',
      `changer "${name}" is not an iscsi-changer in devices: (configured: ${Object.keys(devices).join(', ') || 'none'})`,
      { device: name },
    );
  const { kind: _kind, drives, ...changer } = device;
  let resolved: Record<string, unknown> | undefined;
  if (drives) {
    resolved = {};
    for (const [element, d] of Object.entries(drives))
      resolved[element] = typeof d === 'string' ? await namedDrive(devices, d) : d;
  }
  return { ...options, changer: { ...changer, ...(resolved ? { drives: resolved } : {}) } };
}

/** A drive named in `devices:`, as `{ url, lun }`; the device layer is imported only here, for its URL parser. */
async function namedDrive(devices: Record<string, DeviceConfig>, name: string): Promise<{ url: string; lun: number }> {
  const device = devices[name];
  const url = device?.kind === 'iscsi-tape' ? (await import('@tapir/devices')).parseIscsiUrl(device.url) : undefined;
  const lun = device?.lun ?? url?.lun;
  if (!url?.targetName || lun === undefined)
    throw new TapirError(
      'TAPIR_E_CONFIG_INVALID',
      `drive "${name}" must be an iscsi-tape in devices: with a LUN (in lun: or at the end of its URL)`,
      { device: name },
    );
  return { url: `iscsi://${url.host}:${url.port}/${url.targetName}`, lun };
}

/** Opens a destination, runs `work` with it, and closes it whatever happens (a tape session must not outlive it). */
export async function withDestination<T>(
  host: PluginHost,
  config: KindConfig,
  ctx: RunContext,
  work: (destination: Destination) => Promise<T>,
): Promise<T> {
  const destination = await openDestination(host, config, ctx);
  try {
    return await work(destination);
  } finally {
    await destination.close?.().catch(() => {});
  }
}
