import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { type JSONSchema, TapirError } from '@tapir/sdk';
import { configSchema, configUse, usedKinds } from '../src/config/coreSchema.js';
import { checkSchema, validateConfig } from '../src/config/loadConfig.js';

const kinds = {
  sources: new Map<string, JSONSchema>([
    ['files', { type: 'object', required: ['paths'], properties: { paths: { type: 'array' } } }],
    ['xenserver', { type: 'object', required: ['url'], properties: { url: { type: 'string' } } }],
  ]),
  destinations: new Map<string, JSONSchema>([
    ['disk', { type: 'object', required: ['path'], properties: { path: { type: 'string' } } }],
  ]),
  restoreTargets: new Map<string, JSONSchema>(),
  transforms: new Map<string, JSONSchema>(),
  notifiers: new Map<string, JSONSchema>(),
  plugins: new Map<string, JSONSchema | undefined>([
    [
      'syslog',
      {
        type: 'object',
        additionalProperties: false,
        properties: { host: { type: 'string' }, port: { type: 'integer', default: 514 } },
      },
    ],
    ['files', undefined],
  ]),
};

/** The outcome of validating `raw` against a schema: the config with defaults, or the problems. */
function outcome(raw: unknown, pruned: boolean): unknown {
  try {
    return validateConfig(raw, configSchema(kinds, pruned ? configUse(raw) : undefined), 'tapir.yaml');
  } catch (error) {
    return (error as { context?: { problems?: unknown } }).context?.problems;
  }
}

describe('the configuration schema with only the kinds, plugin settings and devices a configuration uses', () => {
  it('finds every kind named anywhere', () => {
    expect([
      ...usedKinds({
        destinations: { a: { kind: 'disk', path: '/x' } },
        jobs: { j: { sources: [{ kind: 'files' }, { kind: 7 }], destination: { kind: 'tape' } } },
      }),
    ]).toEqual(['disk', 'files', 'tape']);
  });

  it('validates every configuration exactly as the whole schema does', () => {
    const configs = [
      { version: 1 },
      { version: 1, destinations: { d: { kind: 'disk', path: '/b' } } },
      // A used kind's options checked; an unknown kind refused with the known ones listed.
      { version: 1, jobs: { j: { sources: [{ kind: 'files' }], destination: { kind: 'disk', path: '/b' } } } },
      { version: 1, jobs: { j: { sources: [{ kind: 'nfs', paths: [] }], destination: { kind: 'disk' } } } },
      { version: 1, jobs: { j: { sources: [{ kind: 'xenserver', url: 3 }], destination: 'missing' } } },
      // Plugin settings: defaults applied, unknown settings and unknown plugins refused.
      { version: 1, plugins: { syslog: { host: 'log' } } },
      { version: 1, plugins: { syslog: { hots: 'log' }, files: {}, nfs: {} } },
      // Devices checked when named.
      { version: 1, devices: { lib: { kind: 'iscsi-changer', url: 'iscsi://127.0.0.1/iqn.x/1', lun: -1 } } },
      { version: 1, devices: { lib: { kind: 'iscsi-tape', url: 'iscsi://127.0.0.1/iqn.x' } } },
    ];
    for (const raw of configs) expect(outcome(raw, true)).toEqual(outcome(raw, false));
    expect(outcome(configs[2], true)).toEqual([{ path: '/jobs/j/sources/0', message: 'missing setting "paths"' }]);
    expect(outcome(configs[5], true)).toMatchObject({ plugins: { syslog: { host: 'log', port: 514 } } });
    expect(outcome(configs[6], true)).toEqual([
      { path: '/plugins', message: 'unknown setting "nfs"' },
      { path: '/plugins/syslog', message: 'unknown setting "hots"' },
    ]);
    expect(outcome(configs[7], true)).toEqual([{ path: '/devices/lib/lun', message: 'must be >= 0' }]);
    expect(outcome(configs[3], true)).toContainEqual({
      path: '/jobs/j/sources/0/kind',
      message: 'no installed plugin provides this kind; known: files, xenserver',
    });
  });
});

describe('plugin schemas checked against JSON Schema draft-07', () => {
  const owner = { plugin: 'nfs', what: 'source kind "nfs"' };
  const verdict = (schema: unknown): boolean => {
    try {
      checkSchema(schema as JSONSchema, owner);
      return true;
    } catch (error) {
      expect(error).toBeInstanceOf(TapirError);
      return false;
    }
  };

  it('judges schemas as ajv does with its own meta-schema', () => {
    const ajv = new Ajv({ allErrors: true, strict: false });
    const schemas: unknown[] = [
      {},
      true,
      { type: 'object', properties: { paths: { type: 'array', items: { type: 'string' }, minItems: 1 } } },
      { type: ['string', 'null'], pattern: '^a', default: 'a' },
      { oneOf: [{ const: 1 }, { enum: [2, 3] }], $defs: { x: { type: 'integer' } } },
      { type: 'strin' },
      { type: 'object', required: 'paths' },
      { properties: { a: { minimum: 'one' } } },
      { items: [1] },
      { enum: [] },
      { additionalProperties: 'no' },
      'object',
    ];
    for (const schema of schemas) expect([schema, verdict(schema)]).toEqual([schema, ajv.validateSchema(schema)]);
  });

  it("holds tapir's own configuration schema to it too (ajv no longer checks schemas when it compiles them)", () => {
    expect(() => checkSchema(configSchema(kinds), { plugin: 'tapir', what: 'the configuration' })).not.toThrow();
  });

  it('names the plugin, the schema and where it is wrong', () => {
    const schema = { type: 'object', properties: { paths: { type: 'aray' } }, required: 'paths' } as JSONSchema;
    const error = (() => {
      try {
        checkSchema(schema, owner);
      } catch (caught) {
        return caught as TapirError;
      }
      throw new Error('a broken schema passed');
    })();
    expect(error.code).toBe('TAPIR_E_PLUGIN_INVALID');
    expect(error.message).toMatch(/^plugin nfs: the schema of source kind "nfs" is not a valid JSON Schema: /);
    expect(error.message).toContain('/required must be array');
    expect(error.message).toContain('/properties/paths/type must be one of: array, boolean, integer');
  });
});
