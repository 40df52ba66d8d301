// `#json-schema-draft-07` (core/package.json#imports): a validator for JSON Schema draft-07 schemas, generated from
// ajv's meta-schema by scripts/vendor-bundles.mjs into dist/vendor/json-schema-draft-07.js.
import type { ErrorObject } from 'ajv';

declare const isDraft07: {
  (schema: unknown): boolean;
  /** The problems found by the last call that returned false. */
  errors?: ErrorObject[] | null;
};
export default isDraft07;
