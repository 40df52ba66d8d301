// Types of `#kysely` (core/package.json#imports): the kysely package's own. At run time `#kysely` is the bundle
// scripts/vendor-bundles.mjs writes to dist/vendor/kysely.js.
export * from 'kysely';
