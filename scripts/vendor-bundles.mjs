#!/usr/bin/env node
/**
 * Bundles dependencies that load slowly as hundreds of small modules into one file each, for `@tapir/core` to import
 * at run time through its `package.json#imports` (`#kysely`). Types still come from the package itself
 * (`core/vendor/*.d.ts` re-export it).
 *
 * kysely's ESM build is 262 modules: importing it took 74–82 ms of every CLI start that opens the catalog; the one
 * bundled file takes 12–16 ms. See docs/adr/0012-cli-start-up.md.
 *
 * Usage: node scripts/vendor-bundles.mjs            write core/dist/vendor/*.js (run before `tsc -b`)
 *        node scripts/vendor-bundles.mjs --clean    remove them
 */
import { readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { build } from 'esbuild';

const CORE = resolve(import.meta.dirname, '..', 'core');
const OUT = join(CORE, 'dist', 'vendor');
const BUNDLES = [{ name: 'kysely', entry: 'kysely' }];

if (process.argv.includes('--clean')) {
  await rm(OUT, { recursive: true, force: true });
} else {
  // Resolved as core resolves it, so the bundle is the version core depends on.
  const require = createRequire(join(CORE, 'package.json'));
  for (const { name, entry } of BUNDLES) {
    const root = await packageRoot(dirname(require.resolve(entry)), entry);
    const pjson = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
    const esm = pjson.exports?.['.']?.import ?? pjson.module;
    if (typeof esm !== 'string') throw new Error(`${entry} ${pjson.version} has no ESM entry point`);
    await build({
      entryPoints: [join(root, esm)],
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      outfile: join(OUT, `${name}.js`),
      legalComments: 'inline',
      banner: { js: `// ${name} ${pjson.version} (${pjson.license}), bundled by scripts/vendor-bundles.mjs` },
      logLevel: 'warning',
    });
  }
}

/** The directory of the package `name` that holds `dir` (a package need not export its package.json). */
async function packageRoot(dir, name) {
  for (let at = dir; at !== dirname(at); at = dirname(at)) {
    try {
      if (JSON.parse(await readFile(join(at, 'package.json'), 'utf8')).name === name) return at;
    } catch {
      // No package.json here: go up.
    }
  }
  throw new Error(`cannot find the package.json of ${name} above ${dir}`);
}
