#!/usr/bin/env node
/**
 * Writes `oclif.manifest.json` for the tapir CLI (the repository root) and for every workspace package with oclif
 * commands, from the compiled commands in their `dist/` — what `oclif manifest` does, with @oclif/core's own API.
 *
 * Without a manifest, oclif imports every command module of every plugin on each start to learn its flags (and with
 * them kysely, xen-api, the device layer…); with one, it imports only the command that runs. `npm run build` runs
 * this after `tsc -b`, so the manifests follow the commands; the files are generated (git-ignored). See
 * docs/adr/0012-cli-start-up.md.
 *
 * Usage: node scripts/oclif-manifest.mjs            write the manifests (run after `tsc -b`)
 *        node scripts/oclif-manifest.mjs --clean    remove them (with `npm run clean`)
 */
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { Plugin } from '@oclif/core';

const REPO = resolve(import.meta.dirname, '..');
const FILE = 'oclif.manifest.json';

const readJson = async (path) => JSON.parse(await readFile(path, 'utf8'));

/** The root package, then each workspace package (`workspaces` entries, `dir/*` expanded) with `oclif.commands`. */
async function oclifPackages() {
  const rootPjson = await readJson(join(REPO, 'package.json'));
  const packages = [{ root: REPO, pjson: rootPjson }];
  for (const pattern of rootPjson.workspaces ?? []) {
    const dirs = pattern.endsWith('/*')
      ? (await readdir(join(REPO, pattern.slice(0, -2)), { withFileTypes: true }))
          .filter((d) => d.isDirectory())
          .map((d) => join(REPO, pattern.slice(0, -2), d.name))
          .sort()
      : [join(REPO, pattern)];
    for (const root of dirs) {
      const pjson = await readJson(join(root, 'package.json')).catch(() => undefined);
      if (pjson?.oclif?.commands) packages.push({ root, pjson });
    }
  }
  return packages;
}

const clean = process.argv.includes('--clean');
for (const { root, pjson } of await oclifPackages()) {
  const file = join(root, FILE);
  // An old manifest must not stand in for the commands being listed.
  await rm(file, { force: true });
  if (clean) continue;
  const plugin = new Plugin({
    root,
    pjson,
    isRoot: true,
    type: 'core',
    ignoreManifest: true,
    errorOnManifestCreate: true,
    respectNoCacheDefault: true,
  });
  await plugin.load();
  const commands = Object.keys(plugin.manifest.commands).length;
  if (pjson.oclif?.commands && commands === 0) {
    throw new Error(`${pjson.name}: no command found under ${pjson.oclif.commands} (build first: tsc -b)`);
  }
  await writeFile(file, JSON.stringify(plugin.manifest, null, 2) + '\n');
  console.log(`${relative(REPO, file) || FILE}: ${commands} command${commands === 1 ? '' : 's'} (${pjson.name})`);
}
