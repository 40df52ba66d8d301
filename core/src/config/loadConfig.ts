import { readFile } from 'node:fs/promises';
import type { ErrorObject } from 'ajv';
import { Ajv } from '#ajv';
import isDraft07 from '#json-schema-draft-07';
import { type JSONSchema, TapirError } from '@tapir/sdk';
import type { TapirConfig } from './types.js';

/** One problem found in a configuration: where (a JSON pointer) and what. */
export interface ConfigProblem {
  path: string;
  message: string;
}

/** Reads a YAML or JSON configuration file; a missing file is TAPIR_E_CONFIG_NOT_FOUND. */
export async function readConfigFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new TapirError(
        'TAPIR_E_CONFIG_NOT_FOUND',
        `configuration file ${file} does not exist; run \`tapir init\` to create one`,
        { path: file },
      );
    }
    throw new TapirError(
      'TAPIR_E_CONFIG_INVALID',
      `cannot read configuration file ${file}: ${(error as Error).message}`,
      { path: file },
    );
  }
  try {
    if (file.endsWith('.json')) return JSON.parse(text);
    // Imported when a YAML file is read: ad hoc backups read none, and the module took 10–19 ms to load.
    const { parse } = await import('yaml');
    return parse(text, { prettyErrors: true });
  } catch (error) {
    throw new TapirError(
      'TAPIR_E_CONFIG_INVALID',
      `${file}: not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(error as Error).message}`,
      {
        path: file,
        problems: [{ path: '', message: (error as Error).message }],
      },
    );
  }
}

/**
 * Options of every ajv instance here. Schemas are not checked against the meta-schema by ajv: that compiled it on
 * every start (15–26 ms). Plugins' schemas are checked by {@link checkSchema} instead, core's by its tests.
 */
const AJV_OPTIONS = { allErrors: true, useDefaults: true, strict: false, validateSchema: false } as const;

/**
 * Checks that a schema a plugin provides is a valid JSON Schema (draft-07), with a validator generated from ajv's
 * meta-schema at build time. Throws TAPIR_E_PLUGIN_INVALID naming `owner` and every problem.
 */
export function checkSchema(schema: JSONSchema, owner: { plugin: string; what: string }): void {
  if (isDraft07(schema)) return;
  const problems = explain(isDraft07.errors ?? []);
  const list = problems.map((p) => `${p.path || '/'} ${p.message}`).join('; ');
  throw new TapirError(
    'TAPIR_E_PLUGIN_INVALID',
    `plugin ${owner.plugin}: the schema of ${owner.what} is not a valid JSON Schema: ${list}`,
    { plugin: owner.plugin, problems },
  );
}

/**
 * Validates a configuration against the combined schema in one ajv pass, applying defaults.
 * Throws TAPIR_E_CONFIG_INVALID listing every problem with its path.
 */
export function validateConfig(raw: unknown, schema: JSONSchema, file: string): TapirConfig {
  const ajv = new Ajv(AJV_OPTIONS);
  const validate = ajv.compile(schema);
  const config = structuredClone(raw ?? {});
  if (validate(config)) {
    const problems = danglingDestinations(config as TapirConfig);
    if (problems.length === 0) return config as TapirConfig;
    throw invalid(file, problems);
  }
  throw invalid(file, explain(validate.errors ?? []));
}

function invalid(file: string, problems: ConfigProblem[]): TapirError {
  const list = problems.map((p) => `  ${p.path || '/'}: ${p.message}`).join('\n');
  return new TapirError('TAPIR_E_CONFIG_INVALID', `${file} is invalid:\n${list}`, { path: file, problems });
}

function explain(errors: ErrorObject[]): ConfigProblem[] {
  const seen = new Set<string>();
  const problems: ConfigProblem[] = [];
  for (const e of errors) {
    // `if`/`oneOf` wrappers repeat what their branches already said.
    if (e.keyword === 'if' || e.keyword === 'oneOf') continue;
    let message = e.message ?? 'is invalid';
    if ((e.keyword === 'enum' || e.keyword === 'not') && e.instancePath.endsWith('/kind')) {
      const allowed = e.keyword === 'enum' ? (e.params as { allowedValues: string[] }).allowedValues : [];
      message = `no installed plugin provides this kind; known: ${allowed.join(', ') || '(none)'}`;
    } else if (e.keyword === 'additionalProperties') {
      message = `unknown setting "${(e.params as { additionalProperty: string }).additionalProperty}"`;
    } else if (e.keyword === 'required') {
      message = `missing setting "${(e.params as { missingProperty: string }).missingProperty}"`;
    } else if (e.keyword === 'enum') {
      message = `must be one of: ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
    }
    const key = `${e.instancePath}|${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push({ path: e.instancePath, message });
  }
  return problems;
}

function danglingDestinations(config: TapirConfig): ConfigProblem[] {
  return Object.entries(config.jobs)
    .filter(([, job]) => typeof job.destination === 'string' && !config.destinations[job.destination])
    .map(([name, job]) => ({
      path: `/jobs/${name}/destination`,
      message: `no destination named "${String(job.destination)}"; defined: ${Object.keys(config.destinations).join(', ') || '(none)'}`,
    }));
}

/**
 * Validates one kind's options (given on the command line) against its schema, which `owner` provides; problems are
 * named with `label`.
 */
export function validateOptions(
  schema: JSONSchema,
  options: Record<string, unknown>,
  label: string,
  owner: { plugin: string; what: string },
): Record<string, unknown> {
  checkSchema(schema, owner);
  const ajv = new Ajv(AJV_OPTIONS);
  const validate = ajv.compile(schema);
  const value = structuredClone(options);
  if (validate(value)) return value;
  throw invalid(label, explain(validate.errors ?? []));
}
