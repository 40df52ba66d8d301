/**
 * `@tapir/plugin-files` — the `files` source and restore target.
 *
 * The default export is the plugin (`plugin.ts`, which tapir imports alone, through `package.json#tapir.main`).
 *
 * @packageDocumentation
 */
export { default } from './plugin.js';
export type { FilesRestoreOptions, FilesSourceOptions } from './schema.js';
