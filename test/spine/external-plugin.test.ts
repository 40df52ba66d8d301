import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, REPO, scratch } from '../helpers/cli.js';

describe("a plugin from outside the repository, linked like a third party's", () => {
  let s: Awaited<ReturnType<typeof scratch>>;
  let env: Record<string, string>;

  beforeAll(async () => {
    s = await scratch();
    env = { TAPIR_DATA_DIR: join(s.dir, 'data'), TAPIR_CACHE_DIR: join(s.dir, 'cache') };
    const link = await cli(['plugins', 'link', '--no-install', join(REPO, 'test/fixtures/tapir-plugin-hello')], {
      home: s.home,
      env,
    });
    expect(link.code).toBe(0);
    await writeFile(
      join(s.dir, 'tapir.yaml'),
      `version: 1
destinations:
  local: { kind: disk, path: ${join(s.dir, 'dest')} }
jobs:
  greetings:
    sources: [ { kind: hello, name: world, count: 4 } ]
    destination: local
    transforms: [ { kind: zstd, level: 1 } ]
`,
    );
  });
  afterAll(() => s.dispose());

  const run = (args: string[]) => cli([...args, '--config', join(s.dir, 'tapir.yaml')], { home: s.home, env });

  it('is listed by oclif and validated with its own schema', async () => {
    const plugins = await cli(['plugins'], { home: s.home, env });
    expect(plugins.stdout).toContain('tapir-plugin-hello 1.0.0 (link)');
    const v = await run(['config', 'validate', '--json']);
    expect(v.code).toBe(0);
    const names = v.json.plugins.map((p: { name: string }) => p.name);
    expect(names).toEqual(expect.arrayContaining(['core', 'disk', 'files', 'hello']));
    expect(v.json.plugins.find((p: { name: string }) => p.name === 'hello')).toMatchObject({
      package: 'tapir-plugin-hello',
      type: 'link',
    });
  });

  it('runs in a job, and its save set restores byte for byte', async () => {
    const r = await run(['job', 'run', 'greetings', '--json']);
    expect(r.code).toBe(0);
    const set = r.json.saveSets[0];
    expect(set).toMatchObject({ status: 'complete', object: 'hello:world', items: 6 });
    const target = join(s.dir, 'restore');
    const restore = await run(['restore', set.saveSet, '--to', target, '--json']);
    expect(restore.code).toBe(0);
    const expected = createHash('sha256')
      .update(Buffer.from('hello world, greeting 2\n'.repeat(3000)))
      .digest('hex');
    expect(
      createHash('sha256')
        .update(await readFile(join(target, 'greetings/hello-2.txt')))
        .digest('hex'),
    ).toBe(expected);
    const stream = await readFile(join(target, 'greetings/stream.bin'));
    expect(stream.length).toBe(1_500_000);
    expect(stream[0]).toBe(1);
    expect(stream[1_499_999]).toBe(5);
  });

  it('a read that fails midway fails the save set, naming the plugin, leaves nothing behind, and a rerun works', async () => {
    const config = join(s.dir, 'failing.yaml');
    const job = (failAt: string) => `version: 1
destinations:
  local: { kind: disk, path: ${join(s.dir, 'dest-failing')} }
jobs:
  greetings:
    sources: [ { kind: hello, name: world, count: 8${failAt} } ]
    destination: local
    transforms: [ { kind: zstd, level: 1 } ]
`;
    await writeFile(config, job(', failAt: 5'));
    const failed = await cli(['job', 'run', 'greetings', '--json', '--config', config], { home: s.home, env });
    expect(failed.code).toBe(1);
    expect(failed.json.saveSets[0]).toMatchObject({ status: 'failed' });
    expect(failed.json.saveSets[0].error.message).toBe('[hello] source.read: greeting 5: the greeting server hung up');
    expect(failed.stderr).not.toMatch(/unhandled/i);
    expect(await readdir(join(s.dir, 'dest-failing'))).toEqual([]);
    // Nothing of the failed save set is left on disk; the next run completes.
    await writeFile(config, job(''));
    const ok = await cli(['job', 'run', 'greetings', '--json', '--config', config], { home: s.home, env });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.json.saveSets[0]).toMatchObject({ status: 'complete', items: 10 });
    const verify = await cli(['verify', ok.json.saveSets[0].saveSet, '--json', '--config', config], {
      home: s.home,
      env,
    });
    expect(verify.code, verify.stderr).toBe(0);
    expect(await readdir(join(s.dir, 'dest-failing'))).toEqual([`${ok.json.saveSets[0].saveSet}.tar`]);
  });

  it('its schema errors are reported like core ones', async () => {
    await writeFile(
      join(s.dir, 'tapir.yaml'),
      `version: 1\njobs:\n  g:\n    sources: [ { kind: hello, count: 0 } ]\n    destination: { kind: disk, path: /tmp/x }\n`,
    );
    const v = await run(['config', 'validate', '--json']);
    expect(v.code).toBe(3);
    expect(v.json.error.context.problems.map((p: { path: string }) => p.path)).toEqual([
      '/jobs/g/sources/0',
      '/jobs/g/sources/0/count',
    ]);
  });
});
