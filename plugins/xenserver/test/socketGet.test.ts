import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpStatusError, httpGet } from '../src/httpGet.js';
import { selfSignedCertificate } from './harness.js';

const MiB = 1 << 20;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** A TCP server on a free loopback port that answers each request with `answer`; requests are recorded. */
async function server(answer: (socket: Socket, request: string) => Promise<void> | void): Promise<{
  url: string;
  requests: string[];
  close(): Promise<void>;
}> {
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const srv: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let head = '';
    const onData = (d: Buffer) => {
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      requests.push(head);
      void answer(socket, head);
    };
    socket.on('data', onData);
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        srv.close(() => resolve());
      }),
  };
}

/** Writes `bytes` in pieces of `piece` bytes, each after a turn of the event loop, so reads end anywhere. */
async function dribble(socket: Socket, bytes: Buffer, piece: number): Promise<void> {
  for (let at = 0; at < bytes.length; at += piece) {
    if (!socket.write(bytes.subarray(at, at + piece))) await new Promise((r) => socket.once('drain', r));
    await sleep(0);
  }
}

async function read(body: AsyncIterable<Uint8Array>, delayMs = 0): Promise<{ data: Buffer; largest: number }> {
  const parts: Buffer[] = [];
  let largest = 0;
  for await (const chunk of body) {
    parts.push(Buffer.from(chunk));
    largest = Math.max(largest, chunk.length);
    if (delayMs) await sleep(delayMs);
  }
  return { data: Buffer.concat(parts), largest };
}

const options = () => ({ allowUnauthorized: false, inactivityMs: 10_000, signal: new AbortController().signal });
let servers: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

describe('GET over a socket read into 1 MiB buffers (http: data handlers)', () => {
  it('reads a body that ends with the connection (as XAPI exports do), to a slow reader, byte for byte', async () => {
    const payload = randomBytes(9 * MiB + 12345);
    const s = await server(async (socket) => {
      socket.write(
        'HTTP/1.1 200 OK\r\ntask-id: OpaqueRef:1\r\nConnection: close\r\ncontent-type: application/octet-stream\r\n\r\n',
      );
      await dribble(socket, payload, 256 * 1024);
      socket.end();
    });
    servers.push(s);
    const body = await httpGet(new URL(`${s.url}/export_raw_vdi?vdi=OpaqueRef:x&format=vhd`), options());
    const { data, largest } = await read(body, 2);
    expect(sha(data)).toBe(sha(payload));
    expect(largest).toBeLessThanOrEqual(MiB);
    expect(s.requests[0]).toMatch(/^GET \/export_raw_vdi\?vdi=OpaqueRef:x&format=vhd HTTP\/1\.1\r\n/);
    expect(s.requests[0]).toContain(`\r\nHost: ${new URL(s.url).host}\r\n`);
  });

  it("takes the body's blocks from the ChunkBuffers it is given, and never touches one it handed on", async () => {
    const payload = randomBytes(5 * MiB + 123);
    const s = await server(async (socket) => {
      socket.write('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n');
      await dribble(socket, payload, 300 * 1024);
      socket.end();
    });
    servers.push(s);
    // Like tapir's pool: a block the reader is done with is scribbled over and lent again.
    const taken = new Set<ArrayBufferLike>();
    const free: Buffer[] = [];
    const buffers = {
      take(size: number): Buffer {
        const buf = free.pop() ?? Buffer.allocUnsafe(size);
        taken.add(buf.buffer);
        return buf;
      },
    };
    const parts: Buffer[] = [];
    let fromBuffers = 0;
    for await (const chunk of await httpGet(new URL(`${s.url}/x`), { ...options(), buffers })) {
      parts.push(Buffer.from(chunk));
      if (taken.has(chunk.buffer)) fromBuffers++;
      const block = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      block.fill(0xaa);
      if (block.length === MiB) free.push(block);
      // A slow reader: blocks queue up behind it, so a block written to after it was handed on would show.
      await sleep(20);
    }
    expect(sha(Buffer.concat(parts))).toBe(sha(payload));
    expect([parts.length, fromBuffers]).toEqual([6, 6]);
  });

  it('stops at Content-Length, even when more bytes follow on the connection', async () => {
    const payload = randomBytes(MiB + 7);
    const s = await server((socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${payload.length}\r\n\r\n`);
      socket.write(Buffer.concat([payload, Buffer.from('not part of the body')]));
    });
    servers.push(s);
    const { data } = await read(await httpGet(new URL(`${s.url}/x`), options()));
    expect(sha(data)).toBe(sha(payload));
  });

  it('decodes chunked transfer coding, with extensions, trailers and chunk lines split across reads', async () => {
    const payload = randomBytes(3 * MiB + 999);
    const sizes = [1, 0x10, 70_000, MiB + 3, 5];
    const s = await server(async (socket) => {
      const parts: Buffer[] = [Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n')];
      for (let at = 0, i = 0; at < payload.length; i++) {
        const n = Math.min(sizes[i % sizes.length]!, payload.length - at);
        parts.push(
          Buffer.from(`${n.toString(16)}${i % 2 ? ';ext=1' : ''}\r\n`),
          payload.subarray(at, at + n),
          Buffer.from('\r\n'),
        );
        at += n;
      }
      parts.push(Buffer.from('0\r\nX-Trailer: yes\r\n\r\n'));
      await dribble(socket, Buffer.concat(parts), 4093);
      // The connection stays open: the last chunk ends the body.
    });
    servers.push(s);
    const { data } = await read(await httpGet(new URL(`${s.url}/x`), options()));
    expect(sha(data)).toBe(sha(payload));
  });

  it('fails, naming the host, when the connection closes before Content-Length or inside chunked coding', async () => {
    const short = await server((socket) => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this'));
    const chunked = await server((socket) =>
      socket.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc'),
    );
    servers.push(short, chunked);
    await expect(read(await httpGet(new URL(`${short.url}/x`), options()))).rejects.toThrow(
      `the connection to ${short.url} closed 91 bytes before the body's end`,
    );
    await expect(read(await httpGet(new URL(`${chunked.url}/x`), options()))).rejects.toThrow(
      `the connection to ${chunked.url} closed inside a chunked body`,
    );
  });

  it('follows a 302 with the full query, and turns other statuses into HttpStatusError', async () => {
    const payload = randomBytes(1000);
    const member = await server((socket, request) => {
      if (request.startsWith('GET /export?session_id=S&task_id=T '))
        socket.end(Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n'), payload]));
      else socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
    });
    const master = await server((socket, request) => {
      const query = /^GET \/export(\?\S*)/.exec(request)![1];
      socket.end(`HTTP/1.1 302 Found\r\nLocation: ${member.url}/export${query}\r\nConnection: close\r\n\r\n`);
    });
    servers.push(member, master);
    const { data } = await read(await httpGet(new URL(`${master.url}/export?session_id=S&task_id=T`), options()));
    expect(data.equals(payload)).toBe(true);
    const error = await httpGet(new URL(`${member.url}/other`), options()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpStatusError);
    expect((error as HttpStatusError).statusCode).toBe(404);
    expect((error as Error).message).toBe(`unexpected HTTP 404 from ${member.url}/other`);
  });

  it('refuses an answer that is not HTTP, and one that never ends its head', async () => {
    const notHttp = await server((socket) => socket.end('SSH-2.0-OpenSSH_9.2\r\n\r\n'));
    const endless = await server(async (socket) => {
      socket.write('HTTP/1.1 200 OK\r\n');
      await dribble(socket, Buffer.alloc(100_000, 'x'), 8192);
    });
    servers.push(notHttp, endless);
    await expect(httpGet(new URL(`${notHttp.url}/x`), options())).rejects.toThrow(
      `${notHttp.url} did not answer HTTP ("SSH-2.0-OpenSSH_9.2")`,
    );
    await expect(httpGet(new URL(`${endless.url}/x`), options())).rejects.toThrow(
      `the response of ${endless.url} has no end of its head`,
    );
  });

  it('gives up after the inactivity time, and stops at once when the run is cancelled', async () => {
    const silent = await server((socket) => socket.write('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nsome'));
    servers.push(silent);
    const body = await httpGet(new URL(`${silent.url}/x`), { ...options(), inactivityMs: 200 });
    await expect(read(body)).rejects.toThrow(`no data from ${silent.url} for 0.2 s`);

    const controller = new AbortController();
    const reason = new Error('the run was cancelled');
    const cancelled = await httpGet(new URL(`${silent.url}/x`), { ...options(), signal: controller.signal });
    const reading = read(cancelled);
    setTimeout(() => controller.abort(reason), 50);
    await expect(reading).rejects.toBe(reason);
  });

  it('fails with the socket error when nothing listens', async () => {
    const s = await server(() => {});
    const url = s.url;
    await s.close();
    await expect(httpGet(new URL(`${url}/x`), options())).rejects.toThrow(/ECONNREFUSED/);
  });

  it("reads https: (XenServer's default) over TLS the same way, self-signed certificates allowed only when asked", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tapir-tls-'));
    try {
      const payload = randomBytes(9 * MiB + 1);
      const tls = createHttpsServer(selfSignedCertificate(dir, '127.0.0.1'), (req, res) => {
        res.writeHead(req.url === '/export?x=1' ? 200 : 404, { connection: 'close' });
        res.end(payload);
      });
      await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
      servers.push({ close: () => new Promise((resolve) => tls.close(() => resolve())) });
      const url = new URL(`https://127.0.0.1:${(tls.address() as { port: number }).port}/export?x=1`);
      // A slow reader: the TLS socket is paused and resumed as blocks wait.
      const { data, largest } = await read(await httpGet(url, { ...options(), allowUnauthorized: true }), 2);
      expect(largest).toBeLessThanOrEqual(MiB);
      expect(sha(data)).toBe(sha(payload));
      await expect(httpGet(url, options())).rejects.toThrow(/self[- ]signed certificate/);
      await expect(httpGet(new URL('/other', url), { ...options(), allowUnauthorized: true })).rejects.toBeInstanceOf(
        HttpStatusError,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
