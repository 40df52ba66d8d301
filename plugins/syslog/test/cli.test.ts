import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, scratch } from '../../../test/helpers/cli.js';
import { freeTcpPort, startRsyslog, tapirParams, type ReceivedMessage, type Rsyslog } from './rsyslog.js';

let rsyslog: Rsyslog;
let s: Awaited<ReturnType<typeof scratch>>;
let closedPort: number;
const config = () => join(s.dir, 'tapir.yaml');
const run = (...args: string[]) => cli([...args, '--config', config()], { home: s.home });
const ofApp = (app: string) => (all: ReceivedMessage[]) => all.filter((m) => m.app === app);

beforeAll(async () => {
  rsyslog = await startRsyslog();
  s = await scratch('tapir-syslog-cli-');
  closedPort = await freeTcpPort();
  await mkdir(join(s.dir, 'tree/sub'), { recursive: true });
  await writeFile(join(s.dir, 'tree/a.txt'), 'alpha');
  await writeFile(join(s.dir, 'tree/sub/b.txt'), 'b'.repeat(10_000));
  await writeFile(
    config(),
    `version: 1
destinations:
  local: { kind: disk, path: ${join(s.dir, 'dest')} }
jobs:
  nightly:
    sources: [ { kind: files, paths: [${join(s.dir, 'tree')}] } ]
    destination: local
    notifiers:
      - { kind: syslog, transport: tcp, port: ${rsyslog.tcpPort}, facility: local0, appName: tapir-tcp }
      - { kind: syslog, port: ${rsyslog.udpPort}, appName: tapir-udp, events: [end] }
  broken:
    sources: [ { kind: files, paths: [${join(s.dir, 'missing')}] } ]
    destination: local
    notifiers: [ { kind: syslog, transport: tcp, port: ${rsyslog.tcpPort}, appName: tapir-broken } ]
  unreachable:
    sources: [ { kind: files, paths: [${join(s.dir, 'tree')}] } ]
    destination: local
    notifiers: [ { kind: syslog, transport: tcp, port: ${closedPort}, timeoutMs: 2000 } ]
`,
  );
});
afterAll(async () => {
  await rsyslog?.dispose();
  await s?.dispose();
});

describe('tapir job run with a syslog notifier', () => {
  it('sends JOBSTART, SAVESET and JOBEND for a file backup to disk, over TCP and UDP', async () => {
    const r = await run('job', 'run', 'nightly', '--json');
    expect(r.code, r.stderr).toBe(0);
    const saveSet = r.json.saveSets[0];
    const all = await rsyslog.waitFor(
      (m) => ofApp('tapir-tcp')(m).some((x) => x.msgid === 'JOBEND') && ofApp('tapir-udp')(m).length > 0,
    );
    const tcp = ofApp('tapir-tcp')(all);
    expect(tcp.map((m) => [m.pri, m.msgid])).toEqual([
      [16 * 8 + 6, 'JOBSTART'],
      [16 * 8 + 6, 'SAVESET'],
      [16 * 8 + 6, 'JOBEND'],
    ]);
    expect(tapirParams(tcp[0]!)).toEqual({ job: 'nightly', runId: String(r.json.runId) });
    expect(tapirParams(tcp[1]!)).toMatchObject({
      job: 'nightly',
      saveSet: saveSet.saveSet,
      status: 'complete',
      items: String(saveSet.items),
    });
    expect(tapirParams(tcp[2]!)).toMatchObject({
      job: 'nightly',
      runId: String(r.json.runId),
      status: 'ok',
      saveSets: '1',
      failedSaveSets: '0',
    });
    expect(tcp[0]!.msg).toBe(`job nightly started (run ${r.json.runId})`);
    expect(tcp[2]!.msg).toMatch(/^job nightly ended ok: 1 save set, [\d.]+ (B|KiB) stored$/);
    // the UDP notifier was told to send the end only
    expect(ofApp('tapir-udp')(all).map((m) => [m.pri, m.msgid, tapirParams(m).status])).toEqual([
      [3 * 8 + 6, 'JOBEND', 'ok'],
    ]);
    // configuration values (here the destination's path) never reach a message; only what the events carry does
    for (const m of [...tcp, ...ofApp('tapir-udp')(all)]) expect(m.raw).not.toContain(join(s.dir, 'dest'));
  });

  it('a failed run sends the failed save set, the failure and a failed end as errors', async () => {
    const r = await run('job', 'run', 'broken', '--json');
    expect(r.code).toBe(1);
    const got = ofApp('tapir-broken')(
      await rsyslog.waitFor((m) => ofApp('tapir-broken')(m).some((x) => x.msgid === 'JOBEND')),
    );
    expect(got.map((m) => [m.pri, m.msgid])).toEqual([
      [3 * 8 + 6, 'JOBSTART'],
      [3 * 8 + 3, 'SAVESET'],
      [3 * 8 + 3, 'FAILURE'],
      [3 * 8 + 3, 'JOBEND'],
    ]);
    expect(tapirParams(got[1]!)).toMatchObject({ status: 'failed', code: 'TAPIR_E_SOURCE_UNAVAILABLE' });
    expect(tapirParams(got[2]!)).toMatchObject({ job: 'broken', code: 'TAPIR_E_SOURCE_UNAVAILABLE' });
    expect(got[2]!.msg).toMatch(/^job broken failed: /);
    expect(tapirParams(got[3]!)).toMatchObject({ status: 'failed', failedSaveSets: '1' });
  });

  it('an unreachable TCP server is a logged warning naming the plugin; the backup still succeeds', async () => {
    const t0 = Date.now();
    const r = await run('job', 'run', 'unreachable', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.status).toBe('ok');
    expect(r.json.saveSets[0].status).toBe('complete');
    expect(Date.now() - t0).toBeLessThan(30_000);
    const log = (await readFile(join(s.home, 'logs', 'tapir.log'), 'utf8'))
      .split('\n')
      .filter((l) => l.includes('notifier syslog failed'))
      .map((l) => JSON.parse(l));
    expect(log.map((l) => l.msg)).toEqual([
      'notifier syslog failed on a start event',
      'notifier syslog failed on a saveSetEnd event',
      'notifier syslog failed on a end event',
    ]);
    expect(log[0].err).toMatchObject({
      code: 'TAPIR_E_PLUGIN_FAILED',
      context: {
        plugin: 'syslog',
        hook: 'notifier.notify',
        pluginCode: 'SYSLOG_CONNECT_FAILED',
        server: `tcp://127.0.0.1:${closedPort}`,
      },
    });
    expect(log[0].err.message).toContain('ECONNREFUSED');
  });
});

describe('tapir config validate', () => {
  it('checks syslog options against the plugin schema, naming each path', async () => {
    const bad = join(s.dir, 'bad.yaml');
    await writeFile(
      bad,
      `version: 1
destinations:
  local: { kind: disk, path: ${join(s.dir, 'dest')} }
jobs:
  j:
    sources: [ { kind: files, paths: [${join(s.dir, 'tree')}] } ]
    destination: local
    notifiers:
      - { kind: syslog, transport: tls, facility: local9, appName: 'my app', port: 0, events: [start, sometimes], password: x }
      - { kind: syslog, hostname: höst, timeoutMs: 10, maxMessageBytes: 100, events: [end, end] }
`,
    );
    const r = await cli(['config', 'validate', '--config', bad, '--json'], { home: s.home });
    expect(r.code).toBe(3);
    expect(r.json.error.code).toBe('TAPIR_E_CONFIG_INVALID');
    const paths = r.json.error.context.problems.map((p: { path: string }) => p.path);
    for (const option of ['transport', 'facility', 'appName', 'port', 'events/1'])
      expect(paths, option).toContain(`/jobs/j/notifiers/0/${option}`);
    for (const option of ['hostname', 'timeoutMs', 'maxMessageBytes', 'events'])
      expect(paths, option).toContain(`/jobs/j/notifiers/1/${option}`);
    expect(r.json.error.context.problems).toContainEqual(
      expect.objectContaining({ path: '/jobs/j/notifiers/0', message: expect.stringContaining('password') }),
    );
    const good = await run('config', 'validate', '--json');
    expect(good.code, good.stdout).toBe(0);
  });
});
