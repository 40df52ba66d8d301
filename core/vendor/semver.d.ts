// Types of `#semver` (core/package.json#imports): semver's own. At run time `#semver` is the bundle
// scripts/vendor-bundles.mjs writes to dist/vendor/semver.js.
export { default } from 'semver';
