/** JSON Schema (draft 2020-12 / draft-07 subset ajv understands), as a plain object. */
export type JSONSchema = { [key: string]: unknown };
