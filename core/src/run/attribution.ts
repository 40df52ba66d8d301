import { pluginError, TapirError } from '@tapir/sdk';

/** Runs plugin code; any failure comes out naming the plugin and the hook. */
export async function attempt<T>(plugin: string, hook: string, fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw pluginError(plugin, hook, error);
  }
}

/** Wraps a plugin's async iterable so that a failure while iterating names the plugin and the hook. */
export async function* attributed<T>(plugin: string, hook: string, source: AsyncIterable<T>): AsyncGenerator<T> {
  try {
    yield* source;
  } catch (error) {
    throw pluginError(plugin, hook, error);
  }
}

/** The error a cancelled run reports. */
export function abortError(signal: AbortSignal): TapirError {
  const reason: unknown = signal.reason;
  return reason instanceof TapirError ? reason : new TapirError('TAPIR_E_ABORTED', 'the run was cancelled', {});
}

/** Any thrown value as a TapirError (unknown errors become TAPIR_E_PLUGIN_FAILED with the original as cause). */
export function asTapirError(error: unknown): TapirError {
  if (error instanceof TapirError) return error;
  return new TapirError('TAPIR_E_PLUGIN_FAILED', (error as Error)?.message ?? String(error), {}, { cause: error });
}
