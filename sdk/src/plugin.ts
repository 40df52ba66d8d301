import type { PluginDefinition, TapirPlugin } from './types/plugin.js';

/** The plugin API version this SDK implements. Plugins declare a semver range that must include it. */
export const TAPIR_API_VERSION = '1.2.0';

/**
 * Declares a tapir plugin. Export the result as the default export of the module named in
 * `package.json#tapir.main` (or the package's main entry).
 *
 * @example
 * ```ts
 * export default definePlugin({
 *   name: 'hello', version: '1.0.0', api: '^1',
 *   apply(hooks) { hooks.sources.for('hello').tap('hello', () => helloSource); },
 * });
 * ```
 */
export function definePlugin(definition: PluginDefinition): TapirPlugin {
  if (!definition.name || typeof definition.apply !== 'function') {
    throw new TypeError('definePlugin needs at least a name and an apply function');
  }
  return Object.freeze({ ...definition, $$type: 'tapir.plugin', envelope: 1 });
}

/** True when `value` is a plugin made by {@link definePlugin} (of any SDK copy). */
export function isTapirPlugin(value: unknown): value is TapirPlugin {
  return typeof value === 'object' && value !== null && (value as { $$type?: unknown }).$$type === 'tapir.plugin';
}
