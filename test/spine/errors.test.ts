import { access, chmod, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, REPO, scratch } from '../helpers/cli.js';

const fixtures = join(REPO, 'test', 'fixtures');
const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );

describe('bad input gets a clear error naming what and where, a non-zero exit, and nothing half-written', () => {
  let s: Awaited<ReturnType<typeof scratch>>;
  let env: Record<string, string>;
  let tree: string;

  beforeAll(async () => {
    s = await scratch();
    // oclif keeps linked plugins in its data directory: give each test run its own.
    env = { TAPIR_DATA_DIR: join(s.dir, 'data'), TAPIR_CACHE_DIR: join(s.dir, 'cache') };
    tree = join(s.dir, 'tree');
    await mkdir(tree);
    await writeFile(join(tree, 'a.txt'), 'a');
  });
  afterAll(() => s.dispose());

  const run = (args: string[]) => cli(args, { home: s.home, env });

  it('an invalid configuration lists every problem with its path and runs nothing', async () => {
    const config = join(s.dir, 'bad.yaml');
    const dest = join(s.dir, 'never-written');
    await writeFile(
      config,
      `version: 1
destinations:
  local: { kind: disk, path: ${dest}, colour: blue }
jobs:
  nightly:
    sources: [ { kind: files } ]
    destination: local
    level: weekly
  other:
    sources: [ { kind: nosuch, paths: [/tmp] } ]
    destination: elsewhere
`,
    );
    const validate = await run(['config', 'validate', '--config', config, '--json']);
    expect(validate.code).toBe(3);
    expect(validate.json.error.code).toBe('TAPIR_E_CONFIG_INVALID');
    const problems = validate.json.error.context.problems.map(
      (p: { path: string; message: string }) => `${p.path}: ${p.message}`,
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        '/destinations/local: unknown setting "colour"',
        '/jobs/nightly/sources/0: missing setting "paths"',
        '/jobs/nightly/level: must be one of: full, incremental, differential',
      ]),
    );
    // the known kinds are listed, whatever else is bundled
    expect(problems.find((p: string) => p.startsWith('/jobs/other/sources/0/kind:'))).toMatch(
      /^\/jobs\/other\/sources\/0\/kind: no installed plugin provides this kind; known: .*\bfiles\b/,
    );
    const runJob = await run(['job', 'run', 'nightly', '--config', config]);
    expect(runJob.code).toBe(3);
    expect(runJob.stderr).toContain(config);
    expect(runJob.stderr).toContain('/jobs/nightly/level');
    expect(await exists(dest)).toBe(false);
  });

  it('a dangling destination name and an unknown job are named', async () => {
    const config = join(s.dir, 'dangling.yaml');
    await writeFile(
      config,
      `version: 1\njobs:\n  j:\n    sources: [ { kind: files, paths: [${tree}] } ]\n    destination: nowhere\n`,
    );
    const r = await run(['config', 'validate', '--config', config, '--json']);
    expect(r.code).toBe(3);
    expect(r.json.error.context.problems).toEqual([
      { path: '/jobs/j/destination', message: 'no destination named "nowhere"; defined: (none)' },
    ]);
    const good = join(s.dir, 'good.yaml');
    await writeFile(good, `version: 1\njobs: {}\n`);
    const missing = await run(['job', 'run', 'ghost', '--config', good, '--json']);
    expect(missing.code).toBe(3);
    expect(missing.json.error.code).toBe('TAPIR_E_JOB_NOT_FOUND');
  });

  it('a missing configuration file says how to make one', async () => {
    const r = await run(['job', 'run', 'x', '--config', join(s.dir, 'absent.yaml')]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('tapir init');
  });

  it('a destination that cannot be written fails before any save set exists', async () => {
    const file = join(s.dir, 'a-file');
    await writeFile(file, 'not a directory');
    const r = await run(['backup', tree, '--to', join(file, 'sub'), '--json']);
    expect(r.code).toBe(1);
    expect(r.json.error.code).toBe('TAPIR_E_DESTINATION_UNAVAILABLE');
    expect(r.json.error.message).toContain(join(file, 'sub'));
    expect(r.json.error.context.plugin).toBe('disk');
    const sets = await run(['catalog', 'save-sets', '--json']);
    expect(sets.json.saveSets).toEqual([]);
  });

  it('a source path that does not exist fails the save set, not silently', async () => {
    const r = await run(['backup', join(s.dir, 'no-such-dir'), '--to', join(s.dir, 'dest'), '--json']);
    expect(r.code).toBe(1);
    expect(r.json.status).toBe('failed');
    expect(r.json.saveSets[0].error.code).toBe('TAPIR_E_SOURCE_UNAVAILABLE');
    expect(r.json.saveSets[0].error.message).toContain('no-such-dir');
    expect((await readdir(join(s.dir, 'dest'))).filter((n) => !n.startsWith('.tapir-probe'))).toEqual([]);
  });

  it('a restore target that is not empty is refused and left untouched', async () => {
    const backup = await run(['backup', tree, '--to', join(s.dir, 'dest2'), '--json']);
    expect(backup.code).toBe(0);
    const target = join(s.dir, 'occupied');
    await mkdir(target);
    await writeFile(join(target, 'precious'), 'keep me');
    const r = await run(['restore', backup.json.saveSets[0].saveSet, '--to', target, '--json']);
    expect(r.code).toBe(1);
    expect(r.json.error.code).toBe('TAPIR_E_RESTORE_TARGET');
    expect(r.json.error.message).toContain(target);
    expect(await readdir(target)).toEqual(['precious']);
  });

  it('a plugin made for another plugin API is refused by name', async () => {
    const link = await run(['plugins', 'link', '--no-install', join(fixtures, 'tapir-plugin-future')]);
    expect(link.code).toBe(0);
    const r = await run(['backup', tree, '--to', join(s.dir, 'dest3'), '--json']);
    expect(r.code).toBe(3);
    expect(r.json.error.code).toBe('TAPIR_E_API_MISMATCH');
    expect(r.json.error.message).toContain('tapir-plugin-future@9.0.0 needs tapir plugin API ^2');
    expect(await exists(join(s.dir, 'dest3'))).toBe(false);
    const unlink = await run(['plugins', 'unlink', 'tapir-plugin-future']);
    expect(unlink.code).toBe(0);
  });

  // root reads everything, so only an unprivileged run can show this.
  it.skipIf(process.getuid?.() === 0)(
    'an unreadable directory inside the tree is a warning, not a failure',
    async () => {
      const locked = join(tree, 'locked');
      await mkdir(locked);
      await chmod(locked, 0);
      const r = await run(['backup', tree, '--to', join(s.dir, 'dest4'), '--json']);
      await chmod(locked, 0o755);
      expect(r.code).toBe(0);
      expect(r.json.status).toBe('warning');
    },
  );
});

describe('restore never writes outside its target', () => {
  it('with --overwrite, a symlink in the target that leads out is refused per item, nothing lands outside, exit 1', async () => {
    const s = await scratch();
    try {
      const { symlink, readdir: ls } = await import('node:fs/promises');
      const tree = join(s.dir, 'tree');
      await mkdir(join(tree, 'sub'), { recursive: true });
      await writeFile(join(tree, 'sub', 'a.txt'), 'a');
      await writeFile(join(tree, 'top.txt'), 'top');
      const backup = await cli(['backup', tree, '--to', join(s.dir, 'dest'), '--json'], { home: s.home });
      expect(backup.code).toBe(0);
      // The target already holds the tree's first path component as a link to somewhere else.
      const target = join(s.dir, 'target');
      const outside = join(s.dir, 'outside');
      await mkdir(target);
      await mkdir(outside);
      const first = tree.split('/').filter(Boolean)[0]!;
      await symlink(outside, join(target, first));
      const r = await cli(['restore', backup.json.saveSets[0].saveSet, '--to', target, '--overwrite', '--json'], {
        home: s.home,
      });
      expect(r.code).toBe(1);
      expect(r.json.error.code).toBe('TAPIR_E_UNSAFE_PATH');
      expect(r.json.error.message).toContain('is a symbolic link');
      expect(await ls(outside)).toEqual([]);
    } finally {
      await s.dispose();
    }
  });
});
