import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, REPO, scratch } from '../helpers/cli.js';

describe('notifiers configured on a job', () => {
  let s: Awaited<ReturnType<typeof scratch>>;
  let env: Record<string, string>;
  const run = (args: string[]) => cli([...args, '--config', join(s.dir, 'tapir.yaml')], { home: s.home, env });

  beforeAll(async () => {
    s = await scratch();
    env = { TAPIR_DATA_DIR: join(s.dir, 'data'), TAPIR_CACHE_DIR: join(s.dir, 'cache') };
    expect(
      (
        await cli(['plugins', 'link', '--no-install', join(REPO, 'test/fixtures/tapir-plugin-eventlog')], {
          home: s.home,
          env,
        })
      ).code,
    ).toBe(0);
    await mkdir(join(s.dir, 'tree'));
    await writeFile(join(s.dir, 'tree', 'a.txt'), 'a');
    await writeFile(
      join(s.dir, 'tapir.yaml'),
      `version: 1
destinations:
  local: { kind: disk, path: ${join(s.dir, 'dest')} }
jobs:
  watched:
    sources: [ { kind: files, paths: [${join(s.dir, 'tree')}] } ]
    destination: local
    notifiers: [ { kind: eventlog, path: ${join(s.dir, 'events.jsonl')} }, { kind: eventlog, path: /unused, fail: true } ]
  broken:
    sources: [ { kind: files, paths: [${join(s.dir, 'missing')}] } ]
    destination: local
    notifiers: [ { kind: eventlog, path: ${join(s.dir, 'broken.jsonl')} } ]
`,
    );
  });
  afterAll(() => s.dispose());

  const events = async (file: string) =>
    (await readFile(join(s.dir, file), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));

  it('hear the run start, each save set and the end; a failing notifier is logged and never fails the run', async () => {
    const r = await run(['job', 'run', 'watched', '--json']);
    expect(r.code).toBe(0);
    const seen = await events('events.jsonl');
    expect(seen.map((e: { type: string }) => e.type)).toEqual(['start', 'saveSetEnd', 'end']);
    expect(seen[1]).toMatchObject({ status: 'complete', saveSet: r.json.saveSets[0].saveSet });
    expect(seen[2]).toMatchObject({ status: 'ok', runId: r.json.runId });
    const log = await readFile(join(s.home, 'logs', 'tapir.log'), 'utf8');
    expect(log).toContain('notifier eventlog failed on a start event');
  });

  it('hear a failed run as a failure before its end', async () => {
    const r = await run(['job', 'run', 'broken', '--json']);
    expect(r.code).toBe(1);
    const seen = await events('broken.jsonl');
    expect(seen.map((e: { type: string }) => e.type)).toEqual(['start', 'saveSetEnd', 'failure', 'end']);
    expect(seen[2].error.code).toBe('TAPIR_E_SOURCE_UNAVAILABLE');
  });
});
