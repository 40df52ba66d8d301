// Types of `#ajv` (core/package.json#imports): ajv's own. At run time `#ajv` is the bundle
// scripts/vendor-bundles.mjs writes to dist/vendor/ajv.js, which exports `Ajv` only.
export { Ajv } from 'ajv';
