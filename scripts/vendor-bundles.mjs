#!/usr/bin/env node
/**
 * Bundles dependencies that load slowly as hundreds of small modules into one file each, for a workspace package to
 * import at run time through its `package.json#imports` (`#kysely` in core, `#xen-api` in the xenserver plugin).
 * Types still come from the package itself (`<package>/vendor/*.d.ts` re-export it).
 *
 * kysely's ESM build is 262 modules: importing it took 74–82 ms of every CLI start that opens the catalog; the one
 * bundled file takes 12–16 ms. xen-api with its dependencies (lodash, undici, promise-toolbox, …, ~300 CommonJS
 * files) took 96–105 ms, bundled 55–59 ms. ajv, pino and semver, CommonJS packages every backup loads, took 48–51 ms
 * together and take 20–21 ms bundled. See docs/adr/0012-cli-start-up.md.
 *
 * A CommonJS package is bundled from `exports`, an ES module entry naming what tapir imports of it: esbuild turns
 * those names into properties of the package's `module.exports`.
 *
 * Usage: node scripts/vendor-bundles.mjs            write <package>/dist/vendor/*.js (run before `tsc -b`)
 *        node scripts/vendor-bundles.mjs --clean    remove them
 */
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { build } from 'esbuild';

const REPO = resolve(import.meta.dirname, '..');
/** The package that imports the bundle, the dependency bundled, and for CommonJS ones what is imported of it. */
const BUNDLES = [
  { pkg: 'core', entry: 'kysely' },
  { pkg: 'core', entry: 'ajv', exports: "export { Ajv } from 'ajv';" },
  { pkg: 'core', entry: 'pino', exports: "export { pino, destination } from 'pino';" },
  { pkg: 'core', entry: 'semver', exports: "export { default } from 'semver';" },
  // Plugin schemas are checked against JSON Schema draft-07 by this validator, made by ajv's standalone code
  // generation here: ajv compiled the meta-schema on every start, 15–26 ms, to check them itself.
  { pkg: 'core', entry: 'ajv', out: 'json-schema-draft-07', exports: draft07Validator },
  { pkg: 'plugins/xenserver', entry: 'xen-api' },
];
// CommonJS inside an ES module bundle requires Node's built-in modules through a `require` of its own.
const BANNER =
  "import { createRequire as __vendorRequire } from 'node:module'; const require = __vendorRequire(import.meta.url);";

if (process.argv.includes('--clean')) {
  for (const { pkg } of BUNDLES) await rm(join(REPO, pkg, 'dist', 'vendor'), { recursive: true, force: true });
} else {
  for (const { pkg, entry, out = entry, exports } of BUNDLES) {
    // Resolved as the package resolves it, so the bundle is the version it depends on.
    const require = createRequire(join(REPO, pkg, 'package.json'));
    const root = await packageRoot(dirname(require.resolve(entry)), entry);
    const pjson = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
    const esm = pjson.exports?.['.']?.import ?? pjson.module ?? (pjson.main?.endsWith('.mjs') ? pjson.main : undefined);
    if (typeof esm !== 'string' && !exports) throw new Error(`${entry} ${pjson.version} has no ESM entry point`);
    const outfile = join(REPO, pkg, 'dist', 'vendor', `${out}.js`);
    const contents = typeof exports === 'function' ? exports(require) : exports;
    const { metafile } = await build({
      ...(contents
        ? { stdin: { contents, resolveDir: join(REPO, pkg), sourcefile: `${out}-entry.js` } }
        : { entryPoints: [join(root, esm)] }),
      metafile: true,
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      outfile,
      legalComments: 'inline',
      banner: {
        js: `// ${out}: ${entry} ${pjson.version} (${pjson.license}), bundled by scripts/vendor-bundles.mjs\n${BANNER}`,
      },
      logLevel: 'warning',
    });
    await writeFile(outfile.replace(/\.js$/, '.LICENSES.txt'), await licenses(Object.keys(metafile.inputs), out));
  }
}

/**
 * The source of a validator for JSON Schema draft-07 (the meta-schema ajv checks schemas against), from the ajv the
 * package depends on: `export default function (schema): boolean`, with its problems in `.errors` as ajv reports them.
 */
function draft07Validator(require) {
  const { Ajv } = require('ajv');
  const standalone = require('ajv/dist/standalone').default;
  const ajv = new Ajv({ code: { source: true, esm: true }, allErrors: true, strict: false });
  return standalone(ajv, ajv.getSchema('http://json-schema.org/draft-07/schema'));
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
