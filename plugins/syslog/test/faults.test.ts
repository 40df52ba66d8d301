import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TapirError } from '@tapir/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeTcpPort, sleep, startRsyslog, tapirParams, type Rsyslog } from './rsyslog.js';
import { syslogNotifier } from './support.js';

const REPO = resolve(import.meta.dirname, '../../..');
const start = (job: string) => ({ type: 'start' as const, job, runId: 1, at: new Date().toISOString() });
const end = (job: string) => ({
  type: 'end' as const,
  job,
  runId: 1,
  at: new Date().toISOString(),
  status: 'ok' as const,
  warnings: [],
  saveSets: [],
});

/** The error a promise rejects with, and how long that took. */
async function failure(promise: Promise<unknown>): Promise<{ error: TapirError; ms: number }> {
  const t0 = Date.now();
  try {
    await promise;
  } catch (error) {
    return { error: error as TapirError, ms: Date.now() - t0 };
  }
  throw new Error('expected the event to fail');
}

const byJob =
  (job: string) =>
  <T extends { sd: string }>(all: T[]) =>
    all.filter((m) => m.sd.includes(`job="${job}"`));

let rsyslog: Rsyslog;
beforeAll(async () => {
  rsyslog = await startRsyslog();
});
afterAll(() => rsyslog?.dispose());

describe('a server that cannot be reached', () => {
  it('a refused TCP connection fails the event at once, naming the server; a later event connects', async () => {
    const port = await freeTcpPort();
    const notifier = await syslogNotifier({ port, transport: 'tcp', timeoutMs: 5000 });
    const { error, ms } = await failure(notifier.notify(start('refused')));
    expect(error.code).toBe('TAPIR_E_PLUGIN_FAILED');
    expect(error.context).toEqual({ pluginCode: 'SYSLOG_CONNECT_FAILED', server: `tcp://127.0.0.1:${port}` });
    expect(error.message).toBe(`syslog server tcp://127.0.0.1:${port}: cannot connect: ECONNREFUSED`);
    expect(ms).toBeLessThan(1000);

    const late = await startRsyslog({ tcpPort: port });
    try {
      await notifier.notify(end('refused'));
      await notifier.close!();
      const got = byJob('refused')(await late.waitFor((all) => byJob('refused')(all).length > 0));
      expect(got.map((m) => m.msgid)).toEqual(['JOBEND']);
    } finally {
      await late.dispose();
    }
  });

  it('a server that never completes the connection fails the event after timeoutMs, and later events at once', async () => {
    const blackhole = await startBlackhole();
    try {
      const notifier = await syslogNotifier({ port: blackhole.port, transport: 'tcp', timeoutMs: 400 });
      const first = await failure(notifier.notify(start('blackhole')));
      expect(first.error.context.pluginCode).toBe('SYSLOG_CONNECT_TIMEOUT');
      expect(first.error.message).toBe(`syslog server tcp://127.0.0.1:${blackhole.port}: no connection within 400 ms`);
      expect(first.ms).toBeGreaterThanOrEqual(380);
      expect(first.ms).toBeLessThan(3000);
      // A run's later events do not each wait out the timeout again.
      const second = await failure(notifier.notify(end('blackhole')));
      expect(second.error.context.pluginCode).toBe('SYSLOG_CONNECT_TIMEOUT');
      expect(second.error.message).toMatch(/the next is made after \d{4}-\d\d-\d\dT/);
      expect(second.ms).toBeLessThan(100);
      await notifier.close!();
    } finally {
      await blackhole.stop();
    }
  });
});

describe('the TCP connection', () => {
  it('is replaced on the next event after the server dropped it', async () => {
    const job = 'dropped';
    const first = await startRsyslog();
    const notifier = await syslogNotifier({ port: first.tcpPort, transport: 'tcp' });
    let second: Rsyslog | undefined;
    try {
      await notifier.notify(start(job));
      await first.waitFor((all) => byJob(job)(all).length === 1);
      await first.stop();
      await sleep(200); // the server's FIN is read off the connection
      await expect(notifier.notify(end(job))).rejects.toThrow('ECONNREFUSED');
      second = await startRsyslog({ dir: first.dir, tcpPort: first.tcpPort, udpPort: first.udpPort });
      expect(second.pid).not.toBe(first.pid);
      await notifier.notify(end(job));
      await notifier.close!();
      const got = byJob(job)(await second.waitFor((all) => byJob(job)(all).length === 2));
      expect(got.map((m) => m.msgid)).toEqual(['JOBSTART', 'JOBEND']);
    } finally {
      await second?.stop();
      await first.dispose();
    }
  });

  it('is replaced when the server closed it between two events (its FIN is read)', async () => {
    const connections: string[][] = [];
    const server = createServer((socket: Socket) => {
      const mine: string[] = [];
      connections.push(mine);
      socket.on('data', (d: Buffer) => {
        mine.push(...octetFrames(d));
        if (connections.length === 1) socket.destroy(); // the first connection is closed after one message
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const notifier = await syslogNotifier({ port, transport: 'tcp' });
      await notifier.notify(start('closed-by-server'));
      await expect.poll(() => connections[0]?.length).toBe(1);
      await sleep(100);
      await notifier.notify(end('closed-by-server'));
      await notifier.close!();
      await expect
        .poll(() => connections.map((c) => c.map((f) => f.split(' ')[5])))
        .toEqual([['JOBSTART'], ['JOBEND']]);
    } finally {
      server.close();
    }
  });

  it('frames each message by octet count; close() lets every queued message out, then ends the connection', async () => {
    const received: Buffer[] = [];
    let ended = false;
    const server = createServer((socket: Socket) => {
      socket.on('data', (d: Buffer) => received.push(d));
      socket.on('end', () => {
        ended = true;
        socket.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const notifier = await syslogNotifier({ port, transport: 'tcp', hostname: 'framing' });
      const sent = Array.from({ length: 50 }, (_, i) => notifier.notify(start(`job ${i} "x"\n]`)));
      await notifier.close!();
      await Promise.all(sent);
      await expect.poll(() => ended).toBe(true);
      const frames = octetFrames(Buffer.concat(received));
      expect(frames).toHaveLength(50);
      expect(frames.map((f) => /job="([^"\\]|\\.)*"/.exec(f)?.[0])).toEqual(
        Array.from({ length: 50 }, (_, i) => `job="job ${i} \\"x\\"\n\\]"`),
      );
      expect(frames.every((f) => f.startsWith('<30>1 ') && f.includes(' framing tapir '))).toBe(true);
    } finally {
      server.close();
    }
  });

  it.each([
    ['after close()', true],
    ['without close()', false],
  ])('lets the process exit promptly %s, the message delivered', async (_, close) => {
    const dist = join(REPO, 'plugins/syslog/dist/index.js');
    expect(existsSync(dist), 'build first (npx tsc -b)').toBe(true);
    const dir = await mkdtemp(join(tmpdir(), 'tapir-syslog-exit-'));
    const job = `exit-${close}`;
    try {
      await writeFile(
        join(dir, 'send.mjs'),
        `import { createTapirHooks } from ${JSON.stringify(pathToFileURL(join(REPO, 'sdk/dist/index.js')).href)};
import plugin from ${JSON.stringify(pathToFileURL(dist).href)};
const hooks = createTapirHooks();
const log = { debug() {}, info() {}, warn() {}, error() {} };
await plugin.apply(hooks, { config: {}, log, home: '/nonexistent' });
const notifier = await hooks.notifiers.get('syslog').call().create({ port: ${rsyslog.tcpPort}, transport: 'tcp' });
await notifier.notify({ type: 'start', job: ${JSON.stringify(job)}, runId: 1, at: new Date().toISOString() });
${close ? 'await notifier.close();' : ''}
`,
      );
      const t0 = Date.now();
      const child = spawn(process.execPath, [join(dir, 'send.mjs')], { stdio: ['ignore', 'inherit', 'inherit'] });
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      const code = await new Promise((r) => child.on('exit', r));
      clearTimeout(killer);
      expect(code).toBe(0);
      expect(Date.now() - t0).toBeLessThan(3000);
      const got = byJob(job)(await rsyslog.waitFor((all) => byJob(job)(all).length > 0));
      expect(tapirParams(got[0]!)).toEqual({ job, runId: '1' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** Splits an RFC 6587 octet-counted stream into its messages (read as the spec says, not as the plugin writes). */
function octetFrames(stream: Buffer): string[] {
  const frames: string[] = [];
  let i = 0;
  while (i < stream.length) {
    const space = stream.indexOf(0x20, i);
    const length = Number(stream.subarray(i, space).toString('ascii'));
    if (!Number.isInteger(length) || length <= 0) throw new Error(`bad frame length at ${i}`);
    frames.push(stream.subarray(space + 1, space + 1 + length).toString('utf8'));
    i = space + 1 + length;
  }
  return frames;
}

/**
 * A loopback port whose listener is stopped (SIGSTOP) with a full accept queue, so that new connections are never
 * completed: the kernel drops their SYNs. Stopped by its pid.
 */
async function startBlackhole(): Promise<{ port: number; stop(): Promise<void> }> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '-e',
      `require('net').createServer(() => {}).listen({ port: 0, host: '127.0.0.1', backlog: 1 }, function () {
         console.log(this.address().port);
       });`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((r) => child.stdout!.once('data', (d: Buffer) => r(Number(String(d).trim()))));
  process.kill(child.pid!, 'SIGSTOP');
  // Fill the accept queue (backlog 1 holds two) with connections nobody accepts.
  const fillers: Socket[] = [];
  for (;;) {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => {});
    const connected = await Promise.race([
      new Promise<boolean>((r) => socket.once('connect', () => r(true))),
      sleep(300).then(() => false),
    ]);
    fillers.push(socket);
    if (!connected) break;
    if (fillers.length > 64) throw new Error('the accept queue never filled');
  }
  const exited = new Promise((r) => child.once('exit', r));
  return {
    port,
    async stop() {
      for (const s of fillers) s.destroy();
      process.kill(child.pid!, 'SIGKILL');
      await exited;
    },
  };
}
