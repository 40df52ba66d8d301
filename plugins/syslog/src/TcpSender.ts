import { connect, type Socket } from 'node:net';
import { syslogError } from './syslogError.js';
import { serverName, type SyslogSender } from './SyslogSender.js';
import { withTimeout } from './withTimeout.js';

/**
 * After a connection attempt timed out, further attempts fail at once for this long: a server that swallows SYNs
 * would otherwise cost every later event of the run the whole timeout.
 */
const RETRY_AFTER_TIMEOUT_MS = 30_000;

/**
 * Sends messages over one TCP connection with RFC 6587 octet-counting framing (`<length> <message>`), which keeps
 * messages apart whatever they contain. A connection the server closed is replaced on the next message.
 */
export class TcpSender implements SyslogSender {
  private socket: Socket | undefined;
  private retryAfter = 0;
  private readonly server: string;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly timeoutMs: number,
  ) {
    this.server = serverName('tcp', host, port);
  }

  async send(message: Buffer): Promise<void> {
    const frame = Buffer.concat([Buffer.from(`${message.length} `, 'ascii'), message]);
    const reused = this.socket !== undefined;
    const socket = await this.connection();
    try {
      await this.write(socket, frame);
    } catch (error) {
      // A connection the server dropped without a FIN we saw shows only when written to: retry once on a new one.
      if (!reused || (error as { context?: { pluginCode?: string } }).context?.pluginCode !== 'SYSLOG_SEND_FAILED')
        throw error;
      await this.write(await this.connection(), frame);
    }
  }

  async close(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (!socket || socket.destroyed) return;
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.end();
    await withTimeout(closed, this.timeoutMs, () => new Error('close timed out')).catch(() => socket.destroy());
  }

  private async connection(): Promise<Socket> {
    const current = this.socket;
    if (current && !current.destroyed && current.writable) return current;
    this.socket = undefined;
    if (Date.now() < this.retryAfter)
      throw syslogError(
        'SYSLOG_CONNECT_TIMEOUT',
        this.server,
        `no connection within ${this.timeoutMs} ms on the last attempt; the next is made after ${new Date(this.retryAfter).toISOString()}`,
      );
    const socket = connect({ host: this.host, port: this.port });
    // The pending timeout keeps the process alive while a connect or a write is under way; an idle connection
    // must not keep it from exiting.
    socket.unref();
    socket.on('error', () => this.drop(socket));
    socket.on('close', () => this.drop(socket));
    // Read (and discard) what the server sends, so that its FIN is seen and the connection is replaced.
    socket.resume();
    const connected = new Promise<Socket>((resolve, reject) => {
      socket.once('connect', () => resolve(socket));
      socket.once('error', (error) =>
        reject(syslogError('SYSLOG_CONNECT_FAILED', this.server, 'cannot connect', error)),
      );
    });
    await withTimeout(connected, this.timeoutMs, () => {
      this.drop(socket);
      this.retryAfter = Date.now() + RETRY_AFTER_TIMEOUT_MS;
      return syslogError('SYSLOG_CONNECT_TIMEOUT', this.server, `no connection within ${this.timeoutMs} ms`);
    });
    this.socket = socket;
    return socket;
  }

  private write(socket: Socket, frame: Buffer): Promise<void> {
    const written = new Promise<void>((resolve, reject) =>
      socket.write(frame, (error) => {
        if (!error) return resolve();
        this.drop(socket);
        reject(syslogError('SYSLOG_SEND_FAILED', this.server, 'the message was not sent', error));
      }),
    );
    return withTimeout(written, this.timeoutMs, () => {
      this.drop(socket);
      return syslogError('SYSLOG_SEND_TIMEOUT', this.server, `the message was not taken within ${this.timeoutMs} ms`);
    });
  }

  private drop(socket: Socket): void {
    if (this.socket === socket) this.socket = undefined;
    socket.destroy();
  }
}
