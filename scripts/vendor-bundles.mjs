#!/usr/bin/env node
/**
 * Bundles dependencies that load slowly as hundreds of small modules into one file each, for a workspace package to
 * import at run time through its `package.json#imports` (`#kysely` in core, `#xen-api` in the xenserver plugin).
 * Types still come from the package itself (`<package>/vendor/*.d.ts` re-export it).
 *
 * kysely's ESM build is 262 modules: importing it took 74–82 ms of every CLI start that opens the catalog; the one
 * bundled file takes 12–16 ms. xen-api with its dependencies (lodash, undici, promise-toolbox, …, ~300 CommonJS
 * files) took 96–105 ms, bundled 55–59 ms. See docs/adr/0012-cli-start-up.md.
 *
 * Usage: node scripts/vendor-bundles.mjs            write <package>/dist/vendor/*.js (run before `tsc -b`)
 *        node scripts/vendor-bundles.mjs --clean    remove them
 */
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { build } from 'esbuild';

const REPO = resolve(import.meta.dirname, '..');
/** The package that imports the bundle, and the dependency bundled. */
const BUNDLES = [
  { pkg: 'core', entry: 'kysely' },
  { pkg: 'plugins/xenserver', entry: 'xen-api' },
];
// CommonJS inside an ES module bundle requires Node's built-in modules through a `require` of its own.
const BANNER =
  "import { createRequire as __vendorRequire } from 'node:module'; const require = __vendorRequire(import.meta.url);";

if (process.argv.includes('--clean')) {
  for (const { pkg } of BUNDLES) await rm(join(REPO, pkg, 'dist', 'vendor'), { recursive: true, force: true });
} else {
  for (const { pkg, entry } of BUNDLES) {
    // Resolved as the package resolves it, so the bundle is the version it depends on.
    const require = createRequire(join(REPO, pkg, 'package.json'));
    const root = await packageRoot(dirname(require.resolve(entry)), entry);
    const pjson = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
    const esm = pjson.exports?.['.']?.import ?? pjson.module ?? (pjson.main?.endsWith('.mjs') ? pjson.main : undefined);
    if (typeof esm !== 'string') throw new Error(`${entry} ${pjson.version} has no ESM entry point`);
    const outfile = join(REPO, pkg, 'dist', 'vendor', `${entry}.js`);
    const { metafile } = await build({
      entryPoints: [join(root, esm)],
      metafile: true,
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      outfile,
      legalComments: 'inline',
      banner: {
        js: `// ${entry} ${pjson.version} (${pjson.license}), bundled by scripts/vendor-bundles.mjs\n${BANNER}`,
      },
      logLevel: 'warning',
    });
    await writeFile(outfile.replace(/\.js$/, '.LICENSES.txt'), await licenses(Object.keys(metafile.inputs), entry));
  }
}

/** The licence texts of every package whose files went into a bundle, for whoever ships the bundle. */
async function licenses(inputs, entry) {
  const roots = new Set();
  for (const input of inputs) {
    const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (match) roots.add(match[1]);
  }
  const parts = [`Packages bundled into ${entry}.js by scripts/vendor-bundles.mjs, with their licences.\n`];
  for (const dir of [...roots].sort()) {
    const pjson = JSON.parse(await readFile(join(REPO, dir, 'package.json'), 'utf8'));
    const file = (await readdir(join(REPO, dir))).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
    const text = file
      ? await readFile(join(REPO, dir, file), 'utf8')
      : `(no licence file; package.json says ${pjson.license})`;
    parts.push(`\n==== ${pjson.name} ${pjson.version} (${pjson.license ?? 'unknown'}) ====\n\n${text.trim()}\n`);
  }
  return parts.join('');
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
