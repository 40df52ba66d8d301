import net from 'node:net';
import { TapirError } from '@tapir/sdk';
import { decodeTargetPdu, type TargetPdu } from './pdu.js';
import { PduReader } from './pdu-reader.js';

const PAD = Buffer.alloc(4);

/**
 * One TCP connection to an iSCSI portal: frames PDUs both ways and reports the first failure exactly once.
 * Internal to the initiator; sessions own it.
 */
export class IscsiConnection {
  /** Receives every decoded PDU; set by the owner. */
  onPdu: (pdu: TargetPdu) => void = () => {};
  /** Called once when the connection ends, with the reason. */
  onClose: (reason: TapirError) => void = () => {};
  private closed: TapirError | undefined;
  private readonly reader = new PduReader(8192);

  private constructor(
    private readonly socket: net.Socket,
    readonly portal: string,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (err) =>
      this.fail(
        new TapirError(
          'TAPIR_E_DEVICE',
          `connection to ${portal} failed: ${err.message}`,
          { device: portal },
          { cause: err },
        ),
      ),
    );
    socket.on('close', () =>
      this.fail(
        new TapirError('TAPIR_E_DEVICE', `connection to ${portal} was closed by the target`, { device: portal }),
      ),
    );
  }

  /** Opens a TCP connection, rejecting with `TAPIR_E_DEVICE` (refused) or `TAPIR_E_DEVICE_TIMEOUT`. */
  static connect(host: string, port: number, timeoutMs: number): Promise<IscsiConnection> {
    const portal = `${host}:${port}`;
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          new TapirError('TAPIR_E_DEVICE_TIMEOUT', `no TCP connection to ${portal} within ${timeoutMs} ms`, {
            device: portal,
          }),
        );
      }, timeoutMs);
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(
          new TapirError(
            'TAPIR_E_DEVICE',
            `cannot connect to ${portal}: ${err.message}`,
            { device: portal },
            { cause: err },
          ),
        );
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new IscsiConnection(socket, portal));
      });
    });
  }

  /** The reason the connection ended, or undefined while it is open. */
  get closeReason(): TapirError | undefined {
    return this.closed;
  }

  /** Sets the largest data segment accepted from the target. */
  setReceiveLimit(bytes: number): void {
    this.reader.maxDataSegment = bytes;
  }

  /** Sends one PDU (header, then the data segment padded to 4 bytes). Silently dropped after close. */
  send(bhs: Buffer, data?: Uint8Array): void {
    if (this.closed) return;
    this.socket.write(bhs);
    if (data && data.length) {
      this.socket.write(data);
      const pad = (4 - (data.length & 3)) & 3;
      if (pad) this.socket.write(PAD.subarray(0, pad));
    }
  }

  /** Runs `fn` with the socket corked so its PDUs leave in one write. */
  batch(fn: () => void): void {
    this.socket.cork();
    try {
      fn();
    } finally {
      this.socket.uncork();
    }
  }

  /** Closes the connection gracefully after pending writes. */
  end(): void {
    this.socket.end();
    this.fail(new TapirError('TAPIR_E_DEVICE', `connection to ${this.portal} was closed`, { device: this.portal }));
  }

  /** Tears the connection down at once, reporting `reason`. */
  destroy(reason: TapirError): void {
    this.socket.destroy();
    this.fail(reason);
  }

  private receive(chunk: Buffer): void {
    if (this.closed) return;
    try {
      for (const raw of this.reader.push(chunk)) {
        if (this.closed) return;
        this.onPdu(decodeTargetPdu(raw));
      }
    } catch (err) {
      const reason =
        err instanceof TapirError
          ? new TapirError(err.code, err.message, { device: this.portal, ...err.context }, { cause: err.cause })
          : new TapirError(
              'TAPIR_E_ISCSI_PROTOCOL',
              `iSCSI protocol error: ${(err as Error).message}`,
              { device: this.portal },
              { cause: err },
            );
      this.destroy(reason);
    }
  }

  private fail(reason: TapirError): void {
    if (this.closed) return;
    this.closed = reason;
    this.onClose(reason);
  }
}
