import type { JSONSchema } from '@tapir/sdk';

/** Every string value of a `kind` property anywhere in a raw (not yet validated) configuration. */
export function usedKinds(raw: unknown): Set<string> {
  const found = new Set<string>();
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value !== null && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) {
        if (key === 'kind' && typeof child === 'string') found.add(child);
        else walk(child);
      }
    }
  };
  walk(raw);
  return found;
}

/** What a raw (not yet validated) configuration uses, for {@link configSchema} to leave the rest out. */
export interface ConfigUse {
  /** Kinds named anywhere ({@link usedKinds}). */
  kinds: ReadonlySet<string>;
  /** Plugins that have settings under `plugins`. */
  plugins: ReadonlySet<string>;
  /** Whether it names devices. */
  devices: boolean;
}

/** What `raw` uses: its kinds, the plugins it has settings for, and whether it names devices. */
export function configUse(raw: unknown): ConfigUse {
  const object = (value: unknown): Record<string, unknown> | undefined =>
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  const top = object(raw);
  return {
    kinds: usedKinds(raw),
    plugins: new Set(Object.keys(object(top?.plugins) ?? {})),
    devices: top?.devices !== undefined,
  };
}

/**
 * Builds the schema of the whole configuration from the kinds that loaded plugins provide.
 *
 * @param use - When given, only what it names gets its schema in: the options schema of the kinds it uses (every
 *   known kind still is a valid `kind`), the settings schema of the plugins it has settings for (every loaded plugin
 *   still is a valid name), and the devices schema if it names devices. A configuration validates the same, and ajv
 *   compiles less on each start: for a backup without a configuration file, with the bundled plugins, 15 ms
 *   instead of 22–24 ms (the first compile in a process; ajv's own code is still cold then).
 *   {@link configUse} finds them in a raw configuration.
 */
export function configSchema(
  kinds: {
    sources: Map<string, JSONSchema>;
    destinations: Map<string, JSONSchema>;
    restoreTargets: Map<string, JSONSchema>;
    transforms: Map<string, JSONSchema>;
    notifiers: Map<string, JSONSchema>;
    plugins: Map<string, JSONSchema | undefined>;
  },
  use?: ConfigUse,
): JSONSchema {
  const kindList = (category: string): JSONSchema => ({
    type: 'array',
    items: { $ref: `#/$defs/${category}` },
    default: [],
  });
  const defs: Record<string, JSONSchema> = {};
  for (const [category, map] of Object.entries({
    source: kinds.sources,
    destination: kinds.destinations,
    restoreTarget: kinds.restoreTargets,
    transform: kinds.transforms,
    notifier: kinds.notifiers,
  })) {
    defs[category] = {
      type: 'object',
      required: ['kind'],
      properties: {
        kind: map.size > 0 ? { type: 'string', enum: [...map.keys()].sort() } : { type: 'string', not: {} },
      },
      allOf: [...map.entries()]
        .filter(([kind]) => !use || use.kinds.has(kind))
        .map(([kind, schema]) => ({
          if: { properties: { kind: { const: kind } }, required: ['kind'] },
          then: withKind(schema, kind),
        })),
    };
  }
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    type: 'object',
    required: ['version'],
    additionalProperties: false,
    $defs: defs,
    properties: {
      version: { const: 1 },
      catalog: {
        type: 'object',
        additionalProperties: false,
        properties: { path: { type: 'string', minLength: 1 } },
        default: {},
      },
      destinations: { type: 'object', additionalProperties: { $ref: '#/$defs/destination' }, default: {} },
      /** Named restore targets for `tapir restore --target <name>` (secrets stay out of the command line). */
      restoreTargets: { type: 'object', additionalProperties: { $ref: '#/$defs/restoreTarget' }, default: {} },
      jobs: {
        type: 'object',
        default: {},
        additionalProperties: {
          type: 'object',
          required: ['sources', 'destination'],
          additionalProperties: false,
          properties: {
            sources: { ...kindList('source'), minItems: 1 },
            destination: { oneOf: [{ type: 'string', minLength: 1 }, { $ref: '#/$defs/destination' }] },
            level: { enum: ['full', 'incremental', 'differential'], default: 'incremental' },
            transforms: kindList('transform'),
            notifiers: kindList('notifier'),
            streams: { type: 'integer', minimum: 1, maximum: 64, default: 1 },
          },
        },
      },
      devices: !use || use.devices ? devicesSchema : { type: 'object', default: {} },
      plugins: {
        type: 'object',
        default: {},
        additionalProperties: false,
        properties: Object.fromEntries(
          [...kinds.plugins.entries()].map(([name, schema]) => [
            name,
            (!use || use.plugins.has(name) ? schema : undefined) ?? { type: 'object' },
          ]),
        ),
      },
    },
  };
}

function withKind(schema: JSONSchema, kind: string): JSONSchema {
  const properties = (schema.properties as Record<string, unknown> | undefined) ?? {};
  return { ...schema, properties: { kind: { const: kind }, ...properties } };
}

const ISCSI_URL = '^iscsi://[^/]+(/[^/]+(/[0-9]+)?)?/?$';

/** Tape drives and media changers named once, used by `tapir device …` and `tapir tape …` (docs/cli-devices.md). */
const devicesSchema: JSONSchema = {
  type: 'object',
  default: {},
  propertyNames: { pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$' },
  additionalProperties: {
    type: 'object',
    required: ['kind', 'url'],
    properties: {
      kind: { enum: ['iscsi-changer', 'iscsi-tape'] },
      url: { type: 'string', pattern: ISCSI_URL },
    },
    allOf: [
      {
        if: { properties: { kind: { const: 'iscsi-changer' } }, required: ['kind'] },
        then: {
          additionalProperties: false,
          properties: {
            kind: { const: 'iscsi-changer' },
            url: { type: 'string', pattern: ISCSI_URL },
            lun: { type: 'integer', minimum: 0, maximum: 16383 },
            timeoutSeconds: { type: 'number', exclusiveMinimum: 0 },
            drives: {
              type: 'object',
              propertyNames: { pattern: '^[0-9]+$' },
              additionalProperties: {
                oneOf: [
                  { type: 'string', minLength: 1 },
                  {
                    type: 'object',
                    required: ['lun'],
                    additionalProperties: false,
                    properties: {
                      url: { type: 'string', pattern: ISCSI_URL },
                      lun: { type: 'integer', minimum: 0, maximum: 16383 },
                    },
                  },
                ],
              },
            },
          },
        },
      },
      {
        if: { properties: { kind: { const: 'iscsi-tape' } }, required: ['kind'] },
        then: {
          additionalProperties: false,
          properties: {
            kind: { const: 'iscsi-tape' },
            url: { type: 'string', pattern: ISCSI_URL },
            lun: { type: 'integer', minimum: 0, maximum: 16383 },
            timeoutSeconds: { type: 'number', exclusiveMinimum: 0 },
          },
        },
      },
    ],
  },
};
