// Types of `#pino` (core/package.json#imports): pino's own. At run time `#pino` is the bundle
// scripts/vendor-bundles.mjs writes to dist/vendor/pino.js, which exports `pino` and `destination` only (not
// transports: they start a worker from a file beside pino's own, which the bundle does not have).
export { pino, destination } from 'pino';
