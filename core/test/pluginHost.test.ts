import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = resolve(import.meta.dirname, '../..');
const PLUGINS = ['disk', 'files', 'syslog', 'tape-autoloader', 'xenserver'];

/** Records every module URL the process loads (ESM loader hook, run off-thread), one per line, in `data.out`. */
const HOOKS = `import { appendFileSync } from 'node:fs';
let out;
export function initialize(data) { out = data.out; }
export async function load(url, context, next) { appendFileSync(out, url + '\\n'); return next(url, context); }
`;

/**
 * Loads the bundled plugins with the built PluginHost, the way a job does, in a fresh process whose module loads are
 * recorded; then uses the files source and the xenserver source's expand.
 */
const MAIN = (dir: string) => `import { register } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
const out = ${JSON.stringify(join(dir, 'loaded.txt'))};
register(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)}, { data: { out } });
const loaded = () => readFileSync(out, 'utf8').split('\\n').filter(Boolean);
const { PluginHost } = await import(${JSON.stringify(pathToFileURL(join(REPO, 'core/dist/host/PluginHost.js')).href)});
const packages = ${JSON.stringify(PLUGINS)}.map((name) => {
  const root = join(${JSON.stringify(REPO)}, 'plugins', name);
  const pjson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  return { name: pjson.name, version: pjson.version, root, type: 'core', pjson };
});
const log = { debug() {}, info() {}, warn() {}, error() {} };
const host = new PluginHost(log);
await host.load(packages, [], {}, '/nonexistent');
const afterLoad = loaded();
const kinds = Object.fromEntries(
  ['sources', 'restoreTargets', 'destinations', 'notifiers'].map((c) => [c, [...host.schemas(c).keys()]]),
);
const source = await host.require('sources', 'files').value.create({ paths: [${JSON.stringify(dir)}] });
const expanded = await host
  .require('sources', 'xenserver')
  .value.expand({ url: 'https://xen.invalid', password: 'pw', vms: ['web', 'db'] }, {});
console.log(JSON.stringify({ afterLoad, afterUse: loaded(), kinds, object: source.object, expanded }));
`;

describe('PluginHost with the bundled plugins', () => {
  let dir: string;
  let result: {
    afterLoad: string[];
    afterUse: string[];
    kinds: Record<string, string[]>;
    object: string;
    expanded: unknown[];
  };

  beforeAll(async () => {
    expect(existsSync(join(REPO, 'core/dist/host/PluginHost.js')), 'build first (npx tsc -b)').toBe(true);
    dir = await mkdtemp(join(tmpdir(), 'tapir-plugin-host-'));
    await writeFile(join(dir, 'hooks.mjs'), HOOKS);
    await writeFile(join(dir, 'loaded.txt'), '');
    await writeFile(join(dir, 'main.mjs'), MAIN(dir));
    const child = spawn(process.execPath, [join(dir, 'main.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const code = await new Promise((r) => child.on('close', r));
    expect(code).toBe(0);
    result = JSON.parse(stdout);
  });
  afterAll(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

  const heavy = [
    '/node_modules/xen-api/',
    '/plugins/xenserver/dist/vendor/xen-api.js',
    '/devices/dist/',
    '/node_modules/fs-xattr/',
    '/plugins/xenserver/dist/XapiConnection.js',
    '/plugins/tape-autoloader/dist/TapeDestination.js',
    '/plugins/files/dist/FilesSource.js',
    '/plugins/files/dist/FilesRestoreTarget.js',
    '/plugins/syslog/dist/SyslogNotifier.js',
  ];

  it('imports each plugin through its light entry (package.json#tapir.main), and no implementation', () => {
    for (const name of PLUGINS.filter((p) => p !== 'disk')) {
      expect(result.afterLoad).toContain(pathToFileURL(join(REPO, 'plugins', name, 'dist/plugin.js')).href);
      expect(result.afterLoad).not.toContain(pathToFileURL(join(REPO, 'plugins', name, 'dist/index.js')).href);
    }
    expect(result.afterLoad.filter((url) => heavy.some((h) => url.includes(h)))).toEqual([]);
  });

  it('has every kind and its schema before any implementation is loaded', () => {
    expect(result.kinds).toEqual({
      sources: ['files', 'xenserver'],
      restoreTargets: ['files', 'xenserver'],
      destinations: ['disk', 'tape'],
      notifiers: ['syslog'],
    });
  });

  it('loads an implementation on first use of its kind, and it works', () => {
    expect(result.object).toBe(`files:${dir}`);
    expect(result.expanded).toEqual([
      { url: 'https://xen.invalid', password: 'pw', vm: 'web' },
      { url: 'https://xen.invalid', password: 'pw', vm: 'db' },
    ]);
    const used = result.afterUse.filter((url) => !result.afterLoad.includes(url));
    expect(used.some((url) => url.endsWith('/plugins/files/dist/FilesSource.js'))).toBe(true);
    // xen-api as the xenserver plugin imports it: one bundled module (scripts/vendor-bundles.mjs).
    expect(used.some((url) => url.endsWith('/plugins/xenserver/dist/vendor/xen-api.js'))).toBe(true);
    // Still nothing of the tape destination or the syslog notifier: neither was used.
    expect(result.afterUse.some((url) => url.includes('/devices/dist/') || url.includes('SyslogNotifier'))).toBe(false);
  });
});

describe('PluginHost.prepare: the hint to the source kinds a backup will open', () => {
  it('gives it once per kind, skips kinds without one or unknown, and logs a hint that throws', async () => {
    const { PluginHost } = await import('../src/host/PluginHost.js');
    const { definePlugin } = await import('@tapir/sdk');
    const calls: string[] = [];
    const warnings: Array<{ message: string; err: { code: string; message: string } }> = [];
    const log = {
      debug() {},
      info() {},
      error() {},
      warn: (obj: { err: { code: string } }, message: string) => warnings.push({ ...obj, message } as never),
    };
    const kind = (name: string, prepare?: () => void) => ({
      kind: name,
      schema: { type: 'object' as const, additionalProperties: false },
      ...(prepare ? { prepare } : {}),
      create: () => ({ object: name, async *items() {} }),
    });
    const plugin = definePlugin({
      name: 'hinted',
      version: '1.0.0',
      api: '^1.2',
      apply(hooks) {
        hooks.sources.for('eager').tap('hinted', () => kind('eager', () => void calls.push('eager')));
        hooks.sources.for('plain').tap('hinted', () => kind('plain'));
        hooks.sources.for('broken').tap('hinted', () =>
          kind('broken', () => {
            throw new Error('no threads here');
          }),
        );
      },
    });
    const host = new PluginHost(log as never);
    await host.load([], [plugin], {}, '/nonexistent');
    expect(() => host.prepare(['eager', 'plain', 'eager', 'broken', 'nfs'])).not.toThrow();
    expect(calls).toEqual(['eager']);
    expect(warnings).toEqual([
      {
        message: 'plugin hinted failed in prepare',
        err: expect.objectContaining({
          code: 'TAPIR_E_PLUGIN_FAILED',
          message: '[hinted] sources.broken.prepare: no threads here',
        }),
      },
    ]);
  });
});
