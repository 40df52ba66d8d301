import { createSocket, type Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { syslogError } from './syslogError.js';
import { serverName, type SyslogSender } from './SyslogSender.js';
import { withTimeout } from './withTimeout.js';

/** Sends each message as one UDP datagram (RFC 5426). Delivery is not confirmed: that is UDP syslog. */
export class UdpSender implements SyslogSender {
  private socket: Promise<{ socket: Socket; address: string }> | undefined;
  private readonly server: string;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly timeoutMs: number,
  ) {
    this.server = serverName('udp', host, port);
  }

  async send(message: Buffer): Promise<void> {
    const sent = this.open().then(
      ({ socket, address }) =>
        new Promise<void>((resolve, reject) =>
          socket.send(message, this.port, address, (error) =>
            error
              ? reject(syslogError('SYSLOG_SEND_FAILED', this.server, 'the datagram was not sent', error))
              : resolve(),
          ),
        ),
    );
    await withTimeout(sent, this.timeoutMs, () =>
      syslogError('SYSLOG_SEND_TIMEOUT', this.server, `the datagram was not sent within ${this.timeoutMs} ms`),
    );
  }

  async close(): Promise<void> {
    const opened = this.socket;
    this.socket = undefined;
    const socket = await opened?.then((o) => o.socket).catch(() => undefined);
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  /** The socket, created on first use for the address family the host resolves to. */
  private open(): Promise<{ socket: Socket; address: string }> {
    this.socket ??= lookup(this.host).then(
      ({ address, family }) => {
        const socket = createSocket(family === 6 ? 'udp6' : 'udp4');
        socket.on('error', () => {}); // send errors reach the send callback; nothing else is expected
        socket.unref();
        return { socket, address };
      },
      (error) => {
        this.socket = undefined; // look the name up again next time
        throw syslogError('SYSLOG_CONNECT_FAILED', this.server, 'cannot resolve the host', error);
      },
    );
    return this.socket;
  }
}
