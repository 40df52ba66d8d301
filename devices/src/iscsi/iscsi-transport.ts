import { TapirError } from '@tapir/sdk';
import type { ScsiRequest, ScsiResponse } from '../scsi/request.js';
import type { Transport } from '../transport/transport.js';
import { defaultInitiatorName, randomIsid } from './initiator-identity.js';
import { IscsiSession } from './iscsi-session.js';
import { parseIscsiUrl } from './iscsi-url.js';
import type { OperationalOffer, SessionParameters } from './negotiation.js';

/** Options for {@link IscsiTransport.connect}. */
export interface IscsiTransportOptions {
  readonly host: string;
  /** Defaults to 3260. */
  readonly port?: number;
  readonly targetName: string;
  /** Defaults to an IQN naming this host. */
  readonly initiatorName?: string;
  /** Default per-command timeout; a {@link ScsiRequest.timeoutMs} overrides it. Default 60 s. */
  readonly timeoutMs?: number;
  /** Timeout for connecting and logging in. Default 10 s. */
  readonly loginTimeoutMs?: number;
  /** Log in again on the next command after the session dropped. Default true. */
  readonly reconnect?: boolean;
  /** Login offer overrides. */
  readonly offer?: OperationalOffer;
}

/**
 * SCSI over a userspace iSCSI initiator (RFC 7143) on TCP: reaches SAN tape libraries with no kernel driver.
 *
 * @remarks
 * Commands are pipelined within the target's command window. When the connection drops, commands in flight fail
 * (`TAPIR_E_DEVICE`), and the next command logs in again with the same ISID, which reinstates the session on the
 * target and releases the old nexus' state. {@link IscsiTransport.nexus} counts these logins so that device objects
 * know their tracked state (tape position, reservations) may be stale.
 *
 * @example
 * ```ts
 * const transport = await IscsiTransport.connect({ host: '127.0.0.1', port: 3261, targetName: 'iqn.2026-11.test:vtl' });
 * const response = await transport.execute(1, testUnitReady());
 * await transport.close();
 * ```
 */
export class IscsiTransport implements Transport {
  readonly name: string;
  private session: IscsiSession | undefined;
  private opening: Promise<IscsiSession> | undefined;
  private closing = false;
  private generation = 0;
  private readonly isid = randomIsid();
  private readonly timeoutMs: number;

  private constructor(private readonly options: IscsiTransportOptions) {
    this.name = `iscsi://${options.host}:${options.port ?? 3260}/${options.targetName}`;
    this.timeoutMs = options.timeoutMs ?? 60_000;
  }

  /** Connects and logs in to `options.targetName`, or to the target named in an `iscsi://` URL. */
  static async connect(options: IscsiTransportOptions | string): Promise<IscsiTransport> {
    let opts: IscsiTransportOptions;
    if (typeof options === 'string') {
      const address = parseIscsiUrl(options);
      if (!address.targetName)
        throw new TapirError('TAPIR_E_CONFIG_INVALID', `${options} names no target`, { device: options });
      opts = { host: address.host, port: address.port, targetName: address.targetName };
    } else opts = options;
    const transport = new IscsiTransport(opts);
    await transport.ensureSession();
    return transport;
  }

  /** How many times a session has been established (1 after connect); grows on every reconnect. */
  get nexus(): number {
    return this.generation;
  }

  /** The parameters of the current session, if one is open. */
  get parameters(): SessionParameters | undefined {
    return this.session?.parameters;
  }

  /** {@inheritDoc Transport.execute} */
  async execute(lun: number, request: ScsiRequest): Promise<ScsiResponse> {
    const session = await this.ensureSession();
    return session.execute(lun, request, request.timeoutMs ?? this.timeoutMs);
  }

  /** Sends a NOP-Out and waits for the answer: a cheap liveness check. */
  async ping(timeoutMs = 5000): Promise<void> {
    const session = await this.ensureSession();
    await session.ping(timeoutMs);
  }

  /** Logs out and closes. */
  async close(): Promise<void> {
    this.closing = true;
    const session = this.session ?? (await this.opening?.catch(() => undefined));
    this.session = undefined;
    await session?.logout();
  }

  private async ensureSession(): Promise<IscsiSession> {
    if (this.closing) throw new TapirError('TAPIR_E_DEVICE', `${this.name} is closed`, { device: this.name });
    if (this.session && !this.session.closeReason) return this.session;
    if (this.session && this.options.reconnect === false) throw this.session.closeReason!;
    this.opening ??= IscsiSession.open({
      host: this.options.host,
      port: this.options.port ?? 3260,
      targetName: this.options.targetName,
      initiatorName: this.options.initiatorName ?? defaultInitiatorName(),
      isid: this.isid,
      loginTimeoutMs: this.options.loginTimeoutMs ?? 10_000,
      ...(this.options.offer ? { offer: this.options.offer } : {}),
    })
      .then((session) => {
        this.session = session;
        this.generation++;
        return session;
      })
      .finally(() => {
        this.opening = undefined;
      });
    return this.opening;
  }
}
