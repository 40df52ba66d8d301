/* eslint-disable @typescript-eslint/no-explicit-any -- tapable hooks and kind registries are heterogeneous: their argument and option types differ per kind. */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import semver from '#semver';
import type { Hook, HookMap, SyncBailHook } from 'tapable';
import {
  createTapirHooks,
  type DestinationKind,
  isTapirPlugin,
  type JSONSchema,
  type Logger,
  type NotifierKind,
  pluginError,
  type RestoreTargetKind,
  type SourceKind,
  TAPIR_API_VERSION,
  TapirError,
  type TapirHooks,
  type TapirPlugin,
  type TransformKind,
} from '@tapir/sdk';

/** A package that may hold a tapir plugin, as oclif (or a test) found it. */
export interface PluginPackage {
  name: string;
  version: string;
  root: string;
  /** `core`, `user`, `link` (oclif's plugin types), or `builtin`. */
  type: string;
  pjson: { main?: string; tapir?: { api?: string; main?: string; provides?: Record<string, string[]> } };
}

/** A plugin the host applied. */
export interface LoadedPlugin {
  name: string;
  version: string;
  packageName: string;
  type: string;
  root: string;
  api: string;
  provides: Record<string, string[]>;
  /** JSON Schema of the plugin-level settings (`plugins.<name>`). */
  configSchema?: JSONSchema;
}

/** A kind found in a registry, with the plugin that provides it. */
export interface Provided<T> {
  value: T;
  plugin: string;
}

type Category = 'sources' | 'restoreTargets' | 'transforms' | 'destinations' | 'notifiers';
type KindOf<C extends Category> = C extends 'sources'
  ? SourceKind<any>
  : C extends 'restoreTargets'
    ? RestoreTargetKind<any>
    : C extends 'transforms'
      ? TransformKind<any>
      : C extends 'destinations'
        ? DestinationKind<any>
        : NotifierKind<any>;

type AnyRegistry = HookMap<SyncBailHook<[], unknown>>;

const CATEGORIES: Category[] = ['sources', 'restoreTargets', 'transforms', 'destinations', 'notifiers'];

/**
 * Loads tapir plugins, checks their API range, applies them to one set of hooks in name order, and attributes
 * every later failure to the plugin that tapped.
 */
export class PluginHost {
  readonly hooks: TapirHooks = createTapirHooks();
  readonly plugins: LoadedPlugin[] = [];
  private readonly kinds = new Map<Category, Set<string>>(CATEGORIES.map((c) => [c, new Set<string>()]));
  private current = 'tapir';

  constructor(private readonly log: Logger) {
    for (const category of CATEGORIES) {
      const map = this.hooks[category] as unknown as AnyRegistry;
      map.intercept({
        factory: (key, hook) => {
          this.kinds.get(category)!.add(String(key));
          this.attribute(hook as unknown as Hook<any, any>);
          return hook;
        },
      });
    }
    for (const name of ['runStart', 'item', 'progress', 'saveSetEnd', 'runEnd', 'runFailure', 'media'] as const) {
      this.observe(this.hooks[name] as unknown as Hook<any, any>, name);
    }
  }

  /**
   * Imports and applies the plugins among `packages` (those with a `tapir` section), plus `builtins`.
   * Order: builtins, then packages by plugin name. Stops at the first invalid plugin with an error naming it.
   */
  async load(
    packages: PluginPackage[],
    builtins: TapirPlugin[],
    settings: Record<string, Record<string, unknown>>,
    home: string,
  ): Promise<void> {
    const found: Array<{ plugin: TapirPlugin; pkg: PluginPackage }> = [];
    for (const pkg of packages) {
      if (!pkg.pjson.tapir) continue;
      found.push({ plugin: await importPlugin(pkg), pkg });
    }
    found.sort((a, b) => a.plugin.name.localeCompare(b.plugin.name));
    const seen = new Map<string, string>();
    const all = [
      ...builtins.map((plugin) => ({
        plugin,
        pkg: { name: '@tapir/core', version: plugin.version, root: '', type: 'builtin', pjson: {} } as PluginPackage,
      })),
      ...found,
    ];
    for (const { plugin, pkg } of all) {
      const other = seen.get(plugin.name);
      if (other) {
        throw new TapirError(
          'TAPIR_E_PLUGIN_INVALID',
          `two packages provide a plugin named "${plugin.name}": ${other} and ${pkg.name}`,
          { plugin: plugin.name },
        );
      }
      seen.set(plugin.name, pkg.name);
      this.current = plugin.name;
      try {
        await plugin.apply(this.hooks, { config: settings[plugin.name] ?? {}, log: this.log, home });
      } catch (error) {
        throw pluginError(plugin.name, 'apply', error);
      } finally {
        this.current = 'tapir';
      }
      this.plugins.push({
        name: plugin.name,
        version: plugin.version,
        packageName: pkg.name,
        type: pkg.type,
        root: pkg.root,
        api: plugin.api,
        provides: pkg.pjson.tapir?.provides ?? {},
        ...(plugin.configSchema ? { configSchema: plugin.configSchema } : {}),
      });
    }
  }

  /** Every kind registered in a category, with its schema. */
  schemas(category: Category): Map<string, JSONSchema> {
    const out = new Map<string, JSONSchema>();
    for (const kind of [...this.kinds.get(category)!].sort()) {
      const provided = this.find(category, kind);
      if (provided) out.set(kind, provided.value.schema);
    }
    return out;
  }

  /** Looks a kind up; undefined when no plugin provides it. */
  find<C extends Category>(category: C, kind: string): Provided<KindOf<C>> | undefined {
    const hook = (this.hooks[category] as unknown as AnyRegistry).get(kind);
    if (!hook) return undefined;
    for (const tap of hook.taps as unknown as Array<{ fn: () => unknown; name: string; plugin?: string }>) {
      const value = tap.fn();
      if (value !== undefined) return { value: value as KindOf<C>, plugin: tap.plugin ?? tap.name };
    }
    return undefined;
  }

  /**
   * Gives the `prepare` hint (API 1.2) to the source kinds a backup is about to open. Unknown kinds are skipped
   * (validation names them); a hint that throws is logged with its plugin's name and otherwise ignored.
   */
  prepare(sourceKinds: Iterable<string>): void {
    for (const kind of new Set(sourceKinds)) {
      const found = this.find('sources', kind);
      if (!found?.value.prepare) continue;
      try {
        found.value.prepare();
      } catch (error) {
        const failure = pluginError(found.plugin, `sources.${kind}.prepare`, error);
        this.log.warn({ err: failure.toJSON() }, `plugin ${found.plugin} failed in prepare`);
      }
    }
  }

  /** Like {@link find}, but throws TAPIR_E_PLUGIN_NOT_FOUND naming the known kinds. */
  require<C extends Category>(category: C, kind: string): Provided<KindOf<C>> {
    const found = this.find(category, kind);
    if (found) return found;
    const known = [...this.kinds.get(category)!].sort().join(', ') || '(none)';
    throw new TapirError(
      'TAPIR_E_PLUGIN_NOT_FOUND',
      `no installed plugin provides the ${singular(category)} kind "${kind}"; known: ${known}`,
      { kind, category },
    );
  }

  /** Records which plugin made each tap of a registry hook. */
  private attribute(hook: Hook<any, any>): void {
    hook.intercept({ register: (tap) => Object.assign(tap, { plugin: this.current }) });
  }

  /** Lifecycle taps: failures are logged with the plugin's name and never fail the run. */
  private observe(hook: Hook<any, any>, name: string): void {
    hook.intercept({
      register: (tap) => {
        const plugin = this.current;
        const fn = tap.fn as (...args: unknown[]) => unknown;
        const report = (error: unknown) =>
          this.log.warn({ err: pluginError(plugin, name, error).toJSON() }, `plugin ${plugin} failed in ${name}`);
        if (tap.type === 'sync') {
          tap.fn = (...args: unknown[]) => {
            try {
              fn(...args);
            } catch (error) {
              report(error);
            }
          };
        } else if (tap.type === 'promise') {
          tap.fn = async (...args: unknown[]) => {
            try {
              await fn(...args);
            } catch (error) {
              report(error);
            }
          };
        } else {
          tap.fn = (...args: unknown[]) => {
            const callback = args.pop() as (error?: unknown) => void;
            try {
              fn(...args, (error?: unknown) => {
                if (error) report(error);
                callback();
              });
            } catch (error) {
              report(error);
              callback();
            }
          };
        }
        return Object.assign(tap, { plugin });
      },
    });
  }
}

async function importPlugin(pkg: PluginPackage): Promise<TapirPlugin> {
  const range = pkg.pjson.tapir?.api;
  if (!range || !semver.validRange(range)) {
    throw new TapirError(
      'TAPIR_E_PLUGIN_INVALID',
      `plugin package ${pkg.name} (${pkg.root}) declares no valid tapir API range in package.json#tapir.api`,
      { plugin: pkg.name },
    );
  }
  if (!semver.satisfies(TAPIR_API_VERSION, range)) {
    throw new TapirError(
      'TAPIR_E_API_MISMATCH',
      `plugin ${pkg.name}@${pkg.version} needs tapir plugin API ${range}, but this tapir provides ${TAPIR_API_VERSION}; install a version of the plugin made for it`,
      { plugin: pkg.name, range, provided: TAPIR_API_VERSION },
    );
  }
  const entry = join(pkg.root, pkg.pjson.tapir?.main ?? pkg.pjson.main ?? 'index.js');
  let module: { default?: unknown };
  try {
    module = (await import(pathToFileURL(entry).href)) as { default?: unknown };
  } catch (error) {
    throw new TapirError(
      'TAPIR_E_PLUGIN_INVALID',
      `cannot load plugin ${pkg.name} from ${entry}: ${(error as Error).message}`,
      { plugin: pkg.name, path: entry },
      { cause: error },
    );
  }
  const plugin = module.default;
  if (!isTapirPlugin(plugin)) {
    throw new TapirError(
      'TAPIR_E_PLUGIN_INVALID',
      `plugin package ${pkg.name}: ${entry} does not export a definePlugin() result as default`,
      { plugin: pkg.name, path: entry },
    );
  }
  if (!semver.satisfies(TAPIR_API_VERSION, plugin.api)) {
    throw new TapirError(
      'TAPIR_E_API_MISMATCH',
      `plugin ${plugin.name} needs tapir plugin API ${plugin.api}, but this tapir provides ${TAPIR_API_VERSION}`,
      { plugin: plugin.name },
    );
  }
  return plugin;
}

function singular(category: Category): string {
  return {
    sources: 'source',
    restoreTargets: 'restore target',
    transforms: 'transform',
    destinations: 'destination',
    notifiers: 'notifier',
  }[category];
}
