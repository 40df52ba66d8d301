/** The plugin contract. */
import type { JSONSchema } from './schema.js';
import type { Logger } from './context.js';
import type { TapirHooks } from './hooks.js';

/** What a plugin's `apply` receives besides the hooks. */
export interface PluginContext {
  /** The plugin's own configuration (`plugins.<name>` in the configuration file), validated against its schema. */
  config: Record<string, unknown>;
  log: Logger;
  /** The tapir home directory (catalog, configuration, licences). */
  home: string;
}

/** What a plugin author writes; see {@link definePlugin}. */
export interface PluginDefinition {
  /** The plugin's name; by convention its npm package name without the `@tapir/plugin-` or `tapir-plugin-` prefix. */
  name: string;
  /** The plugin's own version (semver). */
  version: string;
  /** The range of tapir plugin API versions it works with, e.g. `^1`. */
  api: string;
  /** JSON Schema of the plugin-level configuration under `plugins.<name>`. */
  configSchema?: JSONSchema;
  /** Taps the hooks. May be async; runs once per process, in plugin-name order. */
  apply(hooks: TapirHooks, ctx: PluginContext): void | Promise<void>;
}

/** A plugin as tapir loads it: the definition in a versioned envelope. */
export interface TapirPlugin extends Readonly<PluginDefinition> {
  readonly $$type: 'tapir.plugin';
  /** Envelope version, so the shape can evolve. */
  readonly envelope: 1;
}
