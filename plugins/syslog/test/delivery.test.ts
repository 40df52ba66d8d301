import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRsyslog, tapirParams, type ReceivedMessage, type Rsyslog } from './rsyslog.js';
import { sampleEvents, saveSet, syslogNotifier } from './support.js';

let rsyslog: Rsyslog;
beforeAll(async () => {
  rsyslog = await startRsyslog();
});
afterAll(() => rsyslog?.dispose());

const from = (host: string) => (messages: ReceivedMessage[]) => messages.filter((m) => m.host === host);

describe.each([
  { transport: 'udp' as const, facility: 'daemon' as const, code: 3 },
  { transport: 'tcp' as const, facility: 'local4' as const, code: 20 },
])('events over $transport reach rsyslog as RFC 5424', ({ transport, facility, code }) => {
  it(`with pri = ${code} × 8 + severity, MSGID, tapir@32473 data and a sentence, in order`, async () => {
    const host = `bed-${transport}`;
    const samples = sampleEvents(`nightly-${transport}`);
    const port = transport === 'udp' ? rsyslog.udpPort : rsyslog.tcpPort;
    const notifier = await syslogNotifier({ port, transport, facility, hostname: host });
    for (const { event } of samples) await notifier.notify(event);
    await notifier.close!();

    const got = from(host)(await rsyslog.waitFor((m) => from(host)(m).length >= samples.length));
    expect(got).toHaveLength(samples.length);
    for (const [i, sample] of samples.entries()) {
      const m = got[i]!;
      expect({ pri: m.pri, msgid: m.msgid, msg: m.msg }, `message ${i}`).toEqual({
        pri: code * 8 + sample.severity,
        msgid: sample.msgid,
        msg: sample.msg,
      });
      expect(tapirParams(m), `message ${i}`).toEqual(sample.params);
      expect(m).toMatchObject({ version: '1', app: 'tapir', procid: String(process.pid) });
      if ('at' in sample.event) expect(m.time).toBe(sample.event.at);
    }
  });
});

describe('message content', () => {
  it('a job name with ", ] and \\ survives structured data escaping and reads verbatim in MSG', async () => {
    const job = 'db "prod"]\\east';
    const notifier = await syslogNotifier({ port: rsyslog.tcpPort, transport: 'tcp', hostname: 'bed-escape' });
    await notifier.notify({ type: 'start', job, runId: 1, at: new Date().toISOString() });
    await notifier.close!();
    const [m] = from('bed-escape')(await rsyslog.waitFor((all) => from('bed-escape')(all).length > 0));
    expect(m!.sd).toBe(`[tapir@32473 job="db \\"prod\\"\\]\\\\east" runId="1"]`);
    expect(tapirParams(m!).job).toBe(job);
    expect(m!.msg).toBe(`job ${job} started (run 1)`);
  });

  it('non-ASCII text is UTF-8 with a BOM before MSG; header fields are made printable ASCII', async () => {
    const job = 'nächtliche-Sicherung';
    const notifier = await syslogNotifier({ port: rsyslog.udpPort, hostname: 'bed-utf8', appName: 'tapir-prod' });
    await notifier.notify({ type: 'start', job, runId: 2, at: new Date().toISOString() });
    await notifier.close!();
    const [m] = from('bed-utf8')(await rsyslog.waitFor((all) => from('bed-utf8')(all).length > 0));
    expect(tapirParams(m!).job).toBe(job);
    expect(m!.msg).toBe(`\uFEFFjob ${job} started (run 2)`);
    expect(m!.app).toBe('tapir-prod');
  });

  it('defaults: facility daemon, app tapir, this host name; item and progress events are not sent', async () => {
    const job = `defaults-${process.pid}`;
    const notifier = await syslogNotifier({ port: rsyslog.udpPort });
    await notifier.notify({ type: 'start', job, runId: 3, at: new Date().toISOString() });
    await notifier.notify({ type: 'item', job, saveSet: 'x', path: 'a.txt', bytes: 1, unchanged: false });
    await notifier.notify({ type: 'progress', job, items: 1, bytes: 1, storedBytes: 1 });
    await notifier.notify({
      type: 'end',
      job,
      runId: 3,
      at: new Date().toISOString(),
      status: 'ok',
      warnings: [],
      saveSets: [],
    });
    await notifier.close!();
    const mine = (all: ReceivedMessage[]) => all.filter((m) => m.sd.includes(job) && tapirParams(m).job === job);
    const got = mine(await rsyslog.waitFor((all) => mine(all).some((m) => m.msgid === 'JOBEND')));
    expect(got.map((m) => [m.pri, m.msgid])).toEqual([
      [3 * 8 + 6, 'JOBSTART'],
      [3 * 8 + 6, 'JOBEND'],
    ]);
    expect(got[0]!.app).toBe('tapir');
    expect(got[0]!.host).toBe(hostname().replace(/[^!-~]/g, '_'));
  });

  it('the events option chooses what is sent, item and progress included (as debug)', async () => {
    const job = 'chosen';
    const notifier = await syslogNotifier({
      port: rsyslog.tcpPort,
      transport: 'tcp',
      hostname: 'bed-events',
      events: ['item', 'progress', 'end'],
    });
    await notifier.notify({ type: 'start', job, runId: 4, at: new Date().toISOString() });
    await notifier.notify({ type: 'item', job, saveSet: 'abc', path: 'dir/a.txt', bytes: 5, unchanged: true });
    await notifier.notify({ type: 'progress', job, items: 1, bytes: 5, storedBytes: 0 });
    await notifier.notify(saveSet(job));
    await notifier.notify({
      type: 'end',
      job,
      runId: 4,
      at: new Date().toISOString(),
      status: 'ok',
      warnings: [],
      saveSets: [],
    });
    await notifier.close!();
    const got = from('bed-events')(
      await rsyslog.waitFor((all) => from('bed-events')(all).some((m) => m.msgid === 'JOBEND')),
    );
    expect(got.map((m) => [m.pri, m.msgid])).toEqual([
      [3 * 8 + 7, 'ITEM'],
      [3 * 8 + 7, 'PROGRESS'],
      [3 * 8 + 6, 'JOBEND'],
    ]);
    expect(tapirParams(got[0]!)).toEqual({ job, saveSet: 'abc', path: 'dir/a.txt', bytes: '5', unchanged: 'true' });
    expect(got[0]!.msg).toBe('unchanged dir/a.txt');
  });

  it('a message longer than maxMessageBytes has its MSG cut, whole UTF-8 characters only', async () => {
    const job = 'long';
    const reason = 'ü'.repeat(3000);
    const notifier = await syslogNotifier({ port: rsyslog.udpPort, hostname: 'bed-long', maxMessageBytes: 600 });
    await notifier.notify({ type: 'failure', job, runId: 5, error: { code: 'TAPIR_E_CATALOG', message: reason } });
    await notifier.close!();
    const [m] = from('bed-long')(await rsyslog.waitFor((all) => from('bed-long')(all).length > 0));
    expect(Buffer.byteLength(m!.raw, 'utf8')).toBeLessThanOrEqual(600);
    expect(Buffer.byteLength(m!.raw, 'utf8')).toBeGreaterThan(590);
    expect(m!.msg).toMatch(/^\uFEFFjob long failed: ü+\.\.\.$/);
    expect(tapirParams(m!)).toEqual({ job, runId: '5', code: 'TAPIR_E_CATALOG' });
  });
});
