/**
 * A private rsyslogd for the tests: imtcp and imudp on free loopback ports, every message written to a file as one
 * JSON line (rsyslog's own parse of it: pri, app-name, msgid, structured data, msg, and the raw message).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One message as rsyslog parsed it. */
export interface ReceivedMessage {
  pri: number;
  version: string;
  host: string;
  app: string;
  procid: string;
  msgid: string;
  time: string;
  /** STRUCTURED-DATA as received, escapes included. */
  sd: string;
  msg: string;
  raw: string;
}

export interface Rsyslog {
  dir: string;
  tcpPort: number;
  udpPort: number;
  pid: number;
  /** Every message received so far (readiness probes left out). */
  messages(): Promise<ReceivedMessage[]>;
  /** Waits until `accept` holds for the messages received, and returns them. */
  waitFor(accept: (m: ReceivedMessage[]) => boolean, timeoutMs?: number): Promise<ReceivedMessage[]>;
  /** Stops rsyslogd (SIGTERM to its pid, SIGKILL if it lingers). */
  stop(): Promise<void>;
  /** Stops it and removes its directory. */
  dispose(): Promise<void>;
}

const PROBE_APP = 'rsyslog-probe';

/** A free loopback TCP port (and, separately, a free UDP port). */
export async function freeTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/**
 * Starts rsyslogd and waits until both inputs take messages. Pass the `dir` and ports of a stopped instance to start
 * it again on the same ports, appending to the same file.
 */
export async function startRsyslog(
  options: { dir?: string; tcpPort?: number; udpPort?: number } = {},
): Promise<Rsyslog> {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'tapir-rsyslog-')));
  const tcpPort = options.tcpPort ?? (await freeTcpPort());
  const udpPort = options.udpPort ?? (await freeUdpPort());
  const out = join(dir, 'out.log');
  const field = (name: string, property: string) => `\\"${name}\\":\\"%${property}:::json%\\"`;
  const template = [
    field('pri', 'pri'),
    field('version', 'protocol-version'),
    field('host', 'hostname'),
    field('app', 'app-name'),
    field('procid', 'procid'),
    field('msgid', 'msgid'),
    `\\"time\\":\\"%timestamp:::date-rfc3339%\\"`,
    field('sd', 'structured-data'),
    field('msg', 'msg'),
    field('raw', 'rawmsg'),
  ].join(',');
  await writeFile(
    join(dir, 'rsyslog.conf'),
    `global(workDirectory="${dir}")
module(load="imtcp") module(load="imudp")
input(type="imtcp" address="127.0.0.1" port="${tcpPort}")
input(type="imudp" address="127.0.0.1" port="${udpPort}")
template(name="json" type="string" string="{${template}}\\n")
action(type="omfile" file="${out}" template="json")
`,
  );
  const child = spawn('rsyslogd', ['-n', '-f', join(dir, 'rsyslog.conf'), '-i', join(dir, 'pid')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const all = async (): Promise<ReceivedMessage[]> => {
    const text = await readFile(out, 'utf8').catch(() => '');
    // Only whole lines: rsyslog may be writing the last one while it is read.
    return text
      .slice(0, text.lastIndexOf('\n') + 1)
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => {
        const m = JSON.parse(line);
        return { ...m, pri: Number(m.pri) } as ReceivedMessage;
      });
  };
  const waitFor = async (accept: (m: ReceivedMessage[]) => boolean, timeoutMs = 10_000, probes = false) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const messages = (await all()).filter((m) => probes || m.app !== PROBE_APP);
      if (accept(messages)) return messages;
      if (child.exitCode !== null) throw new Error(`rsyslogd exited (${child.exitCode}): ${output}`);
      if (Date.now() > deadline)
        throw new Error(
          `rsyslog did not receive the messages expected; it has:\n${messages.map((m) => m.raw).join('\n')}`,
        );
      await sleep(50);
    }
  };
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  const bed: Rsyslog = {
    dir,
    tcpPort,
    udpPort,
    pid: child.pid!,
    messages: () => waitFor(() => true),
    waitFor: (accept, timeoutMs) => waitFor(accept, timeoutMs),
    stop,
    dispose: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    await waitForTcp(tcpPort, child, () => output);
    await waitForUdp(udpPort, child.pid!, (marker) =>
      waitFor((m) => m.some((x) => x.msg === marker), 500, true).then(
        () => true,
        () => false,
      ),
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return bed;
}

async function waitForTcp(port: number, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (child.exitCode !== null) throw new Error(`rsyslogd exited (${child.exitCode}): ${output()}`);
    if (Date.now() > deadline) throw new Error(`rsyslogd did not listen on tcp ${port}: ${output()}`);
    await sleep(50);
  }
}

async function waitForUdp(port: number, pid: number, arrived: (marker: string) => Promise<boolean>): Promise<void> {
  const socket = createSocket('udp4');
  try {
    for (let attempt = 0; attempt < 30; attempt++) {
      const marker = `ready ${pid} ${attempt}`; // unique: a restarted instance appends to the same file
      const probe = `<191>1 - - ${PROBE_APP} - - - ${marker}`;
      await new Promise<void>((resolve) => socket.send(probe, port, '127.0.0.1', () => resolve()));
      if (await arrived(marker)) return;
    }
    throw new Error(`rsyslogd did not take UDP messages on port ${port}`);
  } finally {
    socket.close();
  }
}

/**
 * Parses RFC 5424 STRUCTURED-DATA (`[id k="v" …]…`) into elements, undoing the `\"`, `\\` and `\]` escapes —
 * written from the RFC for the tests, independently of the plugin's formatter.
 */
export function parseStructuredData(sd: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  if (sd === '-') return out;
  let i = 0;
  const expect = (c: string) => {
    if (sd[i] !== c) throw new Error(`expected ${c} at ${i} in ${sd}`);
    i++;
  };
  const name = () => {
    const start = i;
    while (i < sd.length && !' =]"'.includes(sd[i]!)) i++;
    return sd.slice(start, i);
  };
  while (i < sd.length) {
    expect('[');
    const id = name();
    const params: Record<string, string> = {};
    while (sd[i] === ' ') {
      i++;
      const key = name();
      expect('=');
      expect('"');
      let value = '';
      while (sd[i] !== '"') {
        if (i >= sd.length) throw new Error(`unterminated value in ${sd}`);
        if (sd[i] === ']') throw new Error(`unescaped ] in a value at ${i} in ${sd}`);
        if (sd[i] === '\\' && '"\\]'.includes(sd[i + 1]!)) i++;
        value += sd[i++];
      }
      i++;
      params[key] = value;
    }
    expect(']');
    out[id] = params;
  }
  return out;
}

/** The `tapir@32473` parameters of a message. */
export const tapirParams = (m: ReceivedMessage) => parseStructuredData(m.sd)['tapir@32473'] ?? {};

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
