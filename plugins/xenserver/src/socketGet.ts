import { connect, isIP, type OnReadOpts, type Socket } from 'node:net';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import type { ChunkBuffers } from '@tapir/sdk';

/** Body bytes handed on at a time: each a buffer of its own, filled by the socket's reads directly. */
const BLOCK = 1 << 20;
/** Filled blocks waiting for the reader before the socket is paused (and resumed at half of it). */
const QUEUED_BLOCKS = 4;
/** A response head larger than this is refused. */
const MAX_HEAD = 64 << 10;

/** The status line and headers of a response, names in lower case. */
export interface ResponseHead {
  statusCode: number;
  headers: Map<string, string>;
}

/** A response body being read; `destroy()` closes the connection (also when it is not read to the end). */
export interface HttpBody extends AsyncIterable<Uint8Array> {
  destroy(): void;
}

/** How a body ends: after `length` bytes, with the connection, or with the last chunk of chunked coding. */
type Framing = { kind: 'length'; left: number } | { kind: 'close' } | { kind: 'chunked' };

/** How {@link socketGet} connects. */
export interface SocketGetOptions {
  /** Give up when nothing arrives for this long, in ms (XAPI keeps long exports alive with empty chunks). */
  inactivityMs: number;
  signal: AbortSignal;
  /** `https:` only: accept certificates that do not verify (XenServer's are self-signed by default). */
  allowUnauthorized?: boolean;
  /**
   * Where the body's blocks come from: tapir's buffers when a source's `open` was given them, which tapir uses again
   * once it has written each block (ADR 0016). Without it, a new MiB per block.
   */
  buffers?: ChunkBuffers;
}

/**
 * One GET over a TCP or TLS connection whose reads land straight in 1 MiB buffers (the `onread` option of
 * `net.connect` and `tls.connect`), for XAPI's data handlers.
 *
 * @remarks
 * Node's HTTP client reads 64 KiB at a time into a new buffer and passes each through its parser and a stream: on a
 * 2 GiB export that is ~33,000 reads at ~17 µs of main-thread time each. Here the kernel fills up to 1 MiB per read,
 * nothing is allocated per read, and the body is handed on in 1 MiB buffers. Over TLS each record is decrypted into
 * the buffer: a 2 GiB download over loopback took 0.71–0.75 s of user time, against 1.36–1.45 s through Node's HTTPS
 * client. The response framing follows RFC 9112
 * §6: `Content-Length`, chunked transfer coding (decoded), or the end of the connection (XAPI's exports send
 * `Connection: close` and no length). Redirects and statuses are the caller's: {@link socketGet} resolves with the
 * head as soon as it has been read.
 */
export function socketGet(url: URL, options: SocketGetOptions): Promise<{ head: ResponseHead; body: HttpBody }> {
  return new Promise((resolve, reject) => {
    const body = new SocketBody(url, options, resolve, reject);
    body.start();
  });
}

class SocketBody implements HttpBody {
  private socket: Socket | undefined;
  /** The buffer the socket reads into; `filled` bytes of it are body (or, before the head is parsed, response). */
  private block: Buffer = Buffer.allocUnsafe(BLOCK);
  private filled = 0;
  private head: ResponseHead | undefined;
  private framing: Framing = { kind: 'close' };
  /** Chunked coding: reads go to `raw` and the decoder copies the data into `block`. */
  private raw: Buffer | undefined;
  private chunk = { left: 0, state: 'size' as 'size' | 'data' | 'data-end' | 'trailer' | 'done', line: '' };
  private readonly ready: Buffer[] = [];
  private ended = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  private readonly onAbort = (): void => this.fail(abortError(this.options.signal));

  constructor(
    private readonly url: URL,
    private readonly options: SocketGetOptions,
    private readonly resolveHead: (value: { head: ResponseHead; body: HttpBody }) => void,
    private readonly rejectHead: (error: Error) => void,
  ) {}

  start(): void {
    if (this.options.signal.aborted) return this.rejectHead(abortError(this.options.signal));
    this.options.signal.addEventListener('abort', this.onAbort, { once: true });
    const host = this.url.hostname.replace(/^\[|\]$/g, '');
    const onread: OnReadOpts = { buffer: () => this.nextReadBuffer(), callback: (n: number) => (this.onRead(n), true) };
    const tls = this.url.protocol === 'https:';
    // `tls.connect` takes `onread` as `net.connect` does (Node's documentation); @types/node leaves it out.
    const tlsOptions: ConnectionOptions & { onread: OnReadOpts } = {
      host,
      port: Number(this.url.port || 443),
      ...(isIP(host) === 0 ? { servername: host } : {}),
      rejectUnauthorized: this.options.allowUnauthorized !== true,
      // XenServer 6.5 and older speak only TLS 1.0.
      minVersion: 'TLSv1',
      onread,
    };
    const socket = tls ? tlsConnect(tlsOptions) : connect({ host, port: Number(this.url.port || 80), onread });
    this.socket = socket;
    // Flowing, so that 'end' is emitted; the data itself arrives through `onread`. Paused and resumed explicitly
    // (returning false from `onread` stops reading without marking the socket paused).
    socket.resume();
    socket.setNoDelay(true);
    socket.setTimeout(this.options.inactivityMs, () =>
      this.fail(
        Object.assign(new Error(`no data from ${this.url.origin} for ${this.options.inactivityMs / 1000} s`), {
          code: 'ETIMEDOUT',
        }),
      ),
    );
    socket.once(tls ? 'secureConnect' : 'connect', () =>
      socket.write(
        `GET ${this.url.pathname}${this.url.search} HTTP/1.1\r\nHost: ${this.url.host}\r\n` +
          'User-Agent: tapir\r\nAccept: */*\r\nConnection: close\r\n\r\n',
      ),
    );
    socket.once('end', () => this.onEnd());
    socket.once('error', (error) => this.fail(error));
    socket.once('close', () => {
      if (!this.ended && this.failure === undefined)
        this.fail(new Error(`the connection to ${this.url.origin} closed before the response ended`));
    });
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    try {
      for (;;) {
        const next = this.ready.shift();
        if (next !== undefined) {
          if (this.ready.length <= QUEUED_BLOCKS / 2 && this.socket?.isPaused() === true) this.socket.resume();
          yield next;
          continue;
        }
        if (this.failure !== undefined) throw this.failure;
        if (this.ended) return;
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
      }
    } finally {
      this.destroy();
    }
  }

  destroy(): void {
    this.options.signal.removeEventListener('abort', this.onAbort);
    this.socket?.destroy();
  }

  private nextReadBuffer(): Uint8Array {
    if (this.head !== undefined && this.framing.kind === 'chunked') return (this.raw ??= Buffer.allocUnsafe(BLOCK));
    return this.block.subarray(this.filled);
  }

  /** `n` bytes were read into the buffer {@link nextReadBuffer} gave. */
  private onRead(n: number): void {
    if (this.failure !== undefined || this.ended) return;
    if (this.head === undefined) {
      this.filled += n;
      if (!this.parseHead()) return;
    } else if (this.framing.kind === 'chunked') {
      this.decodeChunked(this.raw!.subarray(0, n));
    } else {
      this.filled += n;
      this.bodyBytes(n);
    }
    if (this.filled === BLOCK) this.handOn();
    if (this.ready.length >= QUEUED_BLOCKS) this.socket?.pause();
  }

  /** Parses the head once it is all in; moves the body bytes that came with it to the start of a fresh block. */
  private parseHead(): boolean {
    const end = this.block.subarray(0, this.filled).indexOf('\r\n\r\n');
    if (end < 0) {
      if (this.filled >= MAX_HEAD) this.fail(new Error(`the response of ${this.url.origin} has no end of its head`));
      return false;
    }
    const [statusLine = '', ...lines] = this.block.toString('latin1', 0, end).split('\r\n');
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
    if (status === null) {
      this.fail(new Error(`${this.url.origin} did not answer HTTP (${JSON.stringify(statusLine.slice(0, 40))})`));
      return false;
    }
    const headers = new Map<string, string>();
    for (const line of lines) {
      const colon = line.indexOf(':');
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    this.head = { statusCode: Number(status[1]), headers };
    const coding = headers.get('transfer-encoding')?.toLowerCase();
    const length = headers.get('content-length');
    if (coding !== undefined && coding.split(',').some((c) => c.trim() === 'chunked'))
      this.framing = { kind: 'chunked' };
    else if (length !== undefined && /^\d+$/.test(length)) this.framing = { kind: 'length', left: Number(length) };
    const rest = this.block.subarray(end + 4, this.filled);
    this.block = this.newBlock();
    this.filled = 0;
    if (this.framing.kind === 'chunked') this.decodeChunked(rest);
    else {
      rest.copy(this.block);
      this.filled = rest.length;
      this.bodyBytes(rest.length);
    }
    this.resolveHead({ head: this.head, body: this });
    return true;
  }

  /** Counts `n` body bytes just added to `block` against the framing; the body ends at its length. */
  private bodyBytes(n: number): void {
    if (this.framing.kind !== 'length') return;
    if (n > this.framing.left) this.filled -= n - this.framing.left;
    this.framing.left -= Math.min(n, this.framing.left);
    if (this.framing.left === 0) this.finish();
  }

  /** Decodes chunked transfer coding (RFC 9112 §7.1), copying the chunks' data into `block`. */
  private decodeChunked(bytes: Buffer): void {
    const c = this.chunk;
    let at = 0;
    while (at < bytes.length && c.state !== 'done' && this.failure === undefined) {
      if (c.state === 'data') {
        const n = Math.min(c.left, bytes.length - at, BLOCK - this.filled);
        bytes.copy(this.block, this.filled, at, at + n);
        this.filled += n;
        at += n;
        c.left -= n;
        if (this.filled === BLOCK) this.handOn();
        if (c.left === 0) c.state = 'data-end';
        continue;
      }
      const eol = bytes.indexOf(10, at);
      const end = eol < 0 ? bytes.length : eol + 1;
      c.line += bytes.toString('latin1', at, end);
      at = end;
      if (eol < 0) {
        if (c.line.length > 4096) this.fail(new Error(`a chunk line from ${this.url.origin} is too long`));
        continue;
      }
      const line = c.line.replace(/\r?\n$/, '');
      c.line = '';
      if (c.state === 'size') {
        const size = /^([0-9a-fA-F]{1,12})(;.*)?$/.exec(line);
        if (size === null) {
          this.fail(new Error(`${this.url.origin} sent a malformed chunk size (${JSON.stringify(line.slice(0, 20))})`));
          return;
        }
        c.left = parseInt(size[1]!, 16);
        c.state = c.left === 0 ? 'trailer' : 'data';
      } else if (c.state === 'data-end') {
        if (line !== '') this.fail(new Error(`${this.url.origin} sent chunk data longer than its size`));
        c.state = 'size';
      } else if (line === '') {
        c.state = 'done';
        this.finish();
      }
    }
  }

  /** A block for the body: never one handed on, which is the reader's (and, from `buffers`, tapir's) from then. */
  private newBlock(): Buffer {
    return this.options.buffers?.take(BLOCK) ?? Buffer.allocUnsafe(BLOCK);
  }

  private handOn(): void {
    this.ready.push(this.block);
    this.block = this.newBlock();
    this.filled = 0;
    this.wake?.();
  }

  private onEnd(): void {
    if (this.ended || this.failure !== undefined) return;
    if (this.head === undefined)
      return this.fail(new Error(`${this.url.origin} closed the connection without answering`));
    if (this.framing.kind === 'close') return this.finish();
    this.fail(
      new Error(
        this.framing.kind === 'length'
          ? `the connection to ${this.url.origin} closed ${this.framing.left} bytes before the body's end`
          : `the connection to ${this.url.origin} closed inside a chunked body`,
      ),
    );
  }

  private finish(): void {
    if (this.ended) return;
    if (this.filled > 0) this.ready.push(this.block.subarray(0, this.filled));
    this.filled = 0;
    this.ended = true;
    this.destroy();
    this.wake?.();
  }

  private fail(error: Error): void {
    if (this.ended || this.failure !== undefined) return;
    this.failure = error;
    this.destroy();
    if (this.head === undefined) this.rejectHead(error);
    this.wake?.();
  }
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('aborted');
}
