import { TapirError } from '@tapir/sdk';
import { decodeSense, type Sense } from '../scsi/sense.js';
import { opcodeName, type ScsiRequest, type ScsiResponse } from '../scsi/request.js';
import { IscsiConnection } from './iscsi-connection.js';
import { login, type LoginResult } from './login.js';
import type { OperationalOffer, SessionParameters } from './negotiation.js';
import {
  encodeDataOut,
  encodeLogoutRequest,
  encodeNopOut,
  encodeScsiCommand,
  encodeTextRequest,
  protocolError,
  type TargetPdu,
} from './pdu.js';
import { decodeTextKeys, encodeTextKeys } from './text-keys.js';
import { RESERVED_TAG } from './opcode.js';

/** How to reach and log in to a target. */
export interface SessionOptions {
  readonly host: string;
  readonly port: number;
  /** Omit for a discovery session. */
  readonly targetName?: string;
  readonly initiatorName: string;
  /** 6-byte ISID; keep it across reconnects so the target reinstates the session. */
  readonly isid: Buffer;
  readonly loginTimeoutMs: number;
  readonly offer?: OperationalOffer;
}

interface ScsiTask {
  readonly itt: number;
  readonly lun: number;
  readonly request: ScsiRequest;
  readonly buffer: Buffer | undefined;
  received: number;
  resolve(response: ScsiResponse): void;
  reject(error: TapirError): void;
  timer: NodeJS.Timeout | undefined;
}

interface Exchange {
  resolve(pdu: TargetPdu): void;
  reject(error: TapirError): void;
}

/** Serial number arithmetic (RFC 1982, 32 bits): a < b. */
function snLess(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

/**
 * A logged-in iSCSI session on one connection, in the full feature phase (RFC 7143, error recovery level 0).
 *
 * @remarks
 * Commands are pipelined up to the target's command window (MaxCmdSN). Any connection failure, protocol error or
 * command timeout ends the session and fails every command in flight; the owner opens a new session to continue.
 * Use {@link IscsiTransport} rather than this class unless you manage reconnection yourself.
 */
export class IscsiSession {
  private cmdSN: number;
  private expStatSN: number;
  private maxCmdSN: number;
  private nextItt = 1;
  private readonly tasks = new Map<number, ScsiTask>();
  private readonly exchanges = new Map<number, Exchange>();
  private readonly windowWaiters: Array<() => void> = [];
  private closedReason: TapirError | undefined;
  private readonly closeListeners: Array<(reason: TapirError) => void> = [];

  /** Parameters negotiated at login. */
  readonly parameters: SessionParameters;
  /** Target session identifying handle. */
  readonly tsih: number;

  private constructor(
    private readonly conn: IscsiConnection,
    result: LoginResult,
    readonly name: string,
  ) {
    this.parameters = result.parameters;
    this.tsih = result.tsih;
    this.cmdSN = result.cmdSN;
    this.expStatSN = result.expStatSN;
    this.maxCmdSN = result.maxCmdSN;
    conn.setReceiveLimit(result.parameters.receiveDataSegmentLength);
    conn.onPdu = (pdu) => this.dispatch(pdu);
    conn.onClose = (reason) => this.closed(reason);
    const early = conn.closeReason;
    if (early) this.closed(early);
  }

  /** Connects and logs in. */
  static async open(options: SessionOptions): Promise<IscsiSession> {
    const conn = await IscsiConnection.connect(options.host, options.port, options.loginTimeoutMs);
    try {
      const result = await login(conn, {
        initiatorName: options.initiatorName,
        targetName: options.targetName,
        isid: options.isid,
        offer: options.offer ?? {},
        timeoutMs: options.loginTimeoutMs,
      });
      const name = `iscsi://${options.host}:${options.port}${options.targetName ? `/${options.targetName}` : ''}`;
      return new IscsiSession(conn, result, name);
    } catch (err) {
      conn.destroy(err instanceof TapirError ? err : new TapirError('TAPIR_E_ISCSI_LOGIN', String(err)));
      throw err;
    }
  }

  /** Why the session ended, or undefined while it is usable. */
  get closeReason(): TapirError | undefined {
    return this.closedReason;
  }

  /** Registers a listener for the end of the session. */
  onClose(listener: (reason: TapirError) => void): void {
    if (this.closedReason) listener(this.closedReason);
    else this.closeListeners.push(listener);
  }

  /** Commands sent and not yet answered. */
  get inFlight(): number {
    return this.tasks.size;
  }

  /**
   * Executes one SCSI command on `lun`.
   * Resolves with the device's status (CHECK CONDITION included); rejects when the session fails or `timeoutMs` passes.
   */
  async execute(lun: number, request: ScsiRequest, timeoutMs: number): Promise<ScsiResponse> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closedReason && snLess(this.maxCmdSN, this.cmdSN)) {
      await this.waitWindow(deadline, request);
    }
    if (this.closedReason) throw this.closedReason;
    const dataOut = request.dataOut;
    const expectedLength = request.dataIn ?? dataOut?.length ?? 0;
    if (request.dataIn !== undefined && dataOut) throw new RangeError('bidirectional commands are not supported');
    const itt = this.allocateItt();
    return new Promise<ScsiResponse>((resolve, reject) => {
      const task: ScsiTask = {
        itt,
        lun,
        request,
        buffer: request.dataIn ? Buffer.allocUnsafe(request.dataIn) : undefined,
        received: 0,
        resolve,
        reject,
        timer: undefined,
      };
      const left = Math.max(1, deadline - Date.now());
      task.timer = setTimeout(() => this.timeout(task, timeoutMs), left);
      this.tasks.set(itt, task);
      const p = this.parameters;
      let immediate = 0;
      if (dataOut && p.immediateData) immediate = Math.min(dataOut.length, p.firstBurstLength, p.sendDataSegmentLength);
      const unsolicited = dataOut && !p.initialR2T ? Math.min(dataOut.length, p.firstBurstLength) : immediate;
      const cmdSN = this.cmdSN;
      this.cmdSN = (this.cmdSN + 1) >>> 0;
      this.conn.batch(() => {
        this.conn.send(
          encodeScsiCommand({
            lun,
            itt,
            read: request.dataIn !== undefined,
            write: dataOut !== undefined,
            final: unsolicited <= immediate,
            expectedLength,
            cmdSN,
            expStatSN: this.expStatSN,
            cdb: request.cdb,
            immediateLength: immediate,
          }),
          immediate ? dataOut!.subarray(0, immediate) : undefined,
        );
        if (unsolicited > immediate) this.sendData(task, RESERVED_TAG, immediate, unsolicited - immediate);
      });
    });
  }

  /** Sends a NOP-Out ping and waits for the target's NOP-In. */
  async ping(timeoutMs: number): Promise<void> {
    const itt = this.allocateItt();
    const pdu = this.exchange(itt, timeoutMs, 'NOP-Out', () =>
      this.conn.send(encodeNopOut({ itt, ttt: RESERVED_TAG, cmdSN: this.cmdSN, expStatSN: this.expStatSN })),
    );
    await pdu;
  }

  /** SendTargets=All on a discovery session: target names with their portal addresses. */
  async sendTargets(timeoutMs: number): Promise<Array<[string, string]>> {
    let ttt = RESERVED_TAG;
    let text = Buffer.alloc(0);
    let first = true;
    for (let round = 0; round < 64; round++) {
      const itt = this.allocateItt();
      const data = first ? encodeTextKeys([['SendTargets', 'All']]) : Buffer.alloc(0);
      first = false;
      const pdu = await this.exchange(itt, timeoutMs, 'Text Request', () =>
        this.conn.send(
          encodeTextRequest({
            itt,
            ttt,
            cmdSN: this.cmdSN,
            expStatSN: this.expStatSN,
            final: true,
            dataLength: data.length,
          }),
          data,
        ),
      );
      if (pdu.kind !== 'text-response') throw protocolError(`expected a Text Response, got ${pdu.kind}`);
      text = Buffer.concat([text, pdu.data]);
      if (pdu.final && !pdu.continue) return decodeTextKeys(text);
      ttt = pdu.ttt;
    }
    throw protocolError('SendTargets response did not end in 64 PDUs');
  }

  /** Logs out (close session) and closes the connection; never throws. */
  async logout(timeoutMs = 5000): Promise<void> {
    if (this.closedReason) return;
    const itt = this.allocateItt();
    try {
      await this.exchange(itt, timeoutMs, 'Logout', () =>
        this.conn.send(encodeLogoutRequest({ itt, cid: 0, cmdSN: this.cmdSN, expStatSN: this.expStatSN })),
      );
    } catch {
      // Logging out of a broken session: closing the connection is all that is left to do.
    }
    this.conn.end();
  }

  /** Ends the session at once, failing commands in flight with `reason`. */
  destroy(reason: TapirError): void {
    this.conn.destroy(reason);
  }

  private allocateItt(): number {
    let itt = this.nextItt;
    while (itt === RESERVED_TAG || this.tasks.has(itt) || this.exchanges.has(itt)) itt = (itt + 1) >>> 0;
    this.nextItt = (itt + 1) >>> 0;
    return itt;
  }

  private waitWindow(deadline: number, request: ScsiRequest): Promise<void> {
    return new Promise((resolve, reject) => {
      const left = deadline - Date.now();
      const timer = setTimeout(
        () => {
          const i = this.windowWaiters.indexOf(go);
          if (i >= 0) this.windowWaiters.splice(i, 1);
          reject(
            new TapirError(
              'TAPIR_E_DEVICE_TIMEOUT',
              `${opcodeName(request.cdb[0] ?? 0)} waited for the command window of ${this.name} too long`,
              { device: this.name },
            ),
          );
        },
        Math.max(1, left),
      );
      const go = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.windowWaiters.push(go);
    });
  }

  private exchange(itt: number, timeoutMs: number, what: string, send: () => void): Promise<TargetPdu> {
    if (this.closedReason) return Promise.reject(this.closedReason);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.exchanges.delete(itt);
        reject(
          new TapirError('TAPIR_E_DEVICE_TIMEOUT', `${what} to ${this.name} not answered within ${timeoutMs} ms`, {
            device: this.name,
          }),
        );
      }, timeoutMs);
      this.exchanges.set(itt, {
        resolve: (pdu) => {
          clearTimeout(timer);
          resolve(pdu);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
      send();
    });
  }

  private timeout(task: ScsiTask, timeoutMs: number): void {
    if (!this.tasks.has(task.itt)) return;
    const name = opcodeName(task.request.cdb[0] ?? 0);
    const error = new TapirError(
      'TAPIR_E_DEVICE_TIMEOUT',
      `${name} on LUN ${task.lun} of ${this.name} not answered within ${timeoutMs} ms`,
      {
        device: this.name,
        lun: task.lun,
        command: name,
      },
    );
    this.finish(task);
    task.reject(error);
    // At error recovery level 0 the only safe recovery is a new session; the command's fate on the device is unknown.
    this.destroy(
      new TapirError('TAPIR_E_DEVICE', `session to ${this.name} reset after ${name} timed out`, { device: this.name }),
    );
  }

  private finish(task: ScsiTask): void {
    if (task.timer) clearTimeout(task.timer);
    this.tasks.delete(task.itt);
  }

  private sendData(task: ScsiTask, ttt: number, offset: number, length: number): void {
    const data = task.request.dataOut!;
    const seg = this.parameters.sendDataSegmentLength;
    let dataSN = 0;
    for (let done = 0; done < length;) {
      const n = Math.min(seg, length - done);
      const final = done + n === length;
      this.conn.send(
        encodeDataOut({
          lun: task.lun,
          itt: task.itt,
          ttt,
          expStatSN: this.expStatSN,
          dataSN: dataSN++,
          offset: offset + done,
          final,
          length: n,
        }),
        data.subarray(offset + done, offset + done + n),
      );
      done += n;
    }
  }

  private updateWindow(pdu: { expCmdSN: number; maxCmdSN: number }): void {
    // A MaxCmdSN below ExpCmdSN − 1 is invalid and ignored (§4.2.2.1).
    if (snLess(pdu.maxCmdSN, (pdu.expCmdSN - 1) >>> 0)) return;
    if (snLess(this.maxCmdSN, pdu.maxCmdSN)) this.maxCmdSN = pdu.maxCmdSN;
    while (this.windowWaiters.length && !snLess(this.maxCmdSN, this.cmdSN)) this.windowWaiters.shift()!();
  }

  private dispatch(pdu: TargetPdu): void {
    switch (pdu.kind) {
      case 'data-in': {
        this.updateWindow(pdu);
        const task = this.task(pdu.itt, 'Data-In');
        if (!task.buffer)
          throw protocolError(`Data-In for ${opcodeName(task.request.cdb[0] ?? 0)}, which reads nothing`);
        if (pdu.offset + pdu.data.length > task.buffer.length)
          throw protocolError(
            `Data-In at offset ${pdu.offset} with ${pdu.data.length} bytes overruns the ${task.buffer.length}-byte transfer`,
          );
        pdu.data.copy(task.buffer, pdu.offset);
        task.received = Math.max(task.received, pdu.offset + pdu.data.length);
        if (pdu.hasStatus) {
          this.expStatSN = (pdu.statSN + 1) >>> 0;
          this.finish(task);
          task.resolve({
            status: pdu.status,
            data: task.buffer.subarray(0, task.received),
            residual: pdu.underflow ? pdu.residual : pdu.overflow ? -pdu.residual : 0,
          });
        }
        return;
      }
      case 'scsi-response': {
        this.updateWindow(pdu);
        this.expStatSN = (pdu.statSN + 1) >>> 0;
        const task = this.task(pdu.itt, 'SCSI Response');
        this.finish(task);
        const name = opcodeName(task.request.cdb[0] ?? 0);
        if (pdu.response !== 0) {
          task.reject(
            new TapirError(
              'TAPIR_E_DEVICE',
              `${name} on LUN ${task.lun} failed in the target (iSCSI response ${pdu.response})`,
              { device: this.name, lun: task.lun },
            ),
          );
          return;
        }
        let sense: Sense | undefined;
        if (pdu.data.length >= 2) {
          const senseLength = pdu.data.readUInt16BE(0);
          if (senseLength + 2 > pdu.data.length) {
            task.reject(
              protocolError(`SCSI Response announces ${senseLength} sense bytes but carries ${pdu.data.length - 2}`, {
                device: this.name,
              }),
            );
            return;
          }
          if (senseLength > 0) {
            try {
              sense = decodeSense(pdu.data.subarray(2, 2 + senseLength));
            } catch (err) {
              task.reject(err as TapirError);
              return;
            }
          }
        }
        const residual = pdu.underflow ? pdu.residual : pdu.overflow ? -pdu.residual : 0;
        const data = task.buffer ? task.buffer.subarray(0, task.received) : Buffer.alloc(0);
        task.resolve(sense ? { status: pdu.status, data, sense, residual } : { status: pdu.status, data, residual });
        return;
      }
      case 'r2t': {
        this.updateWindow(pdu);
        const task = this.task(pdu.itt, 'R2T');
        const total = task.request.dataOut?.length ?? 0;
        if (pdu.offset + pdu.length > total)
          throw protocolError(`R2T for bytes ${pdu.offset}+${pdu.length} beyond the ${total}-byte transfer`);
        this.conn.batch(() => this.sendData(task, pdu.ttt, pdu.offset, pdu.length));
        return;
      }
      case 'nop-in': {
        this.updateWindow(pdu);
        if (pdu.itt !== RESERVED_TAG) {
          this.expStatSN = (pdu.statSN + 1) >>> 0;
          this.settle(pdu.itt, pdu);
        } else if (pdu.ttt !== RESERVED_TAG) {
          // The target pings us: answer with its TTT so it keeps the connection.
          this.conn.send(
            encodeNopOut({
              itt: RESERVED_TAG,
              ttt: pdu.ttt,
              lun: pdu.lun,
              cmdSN: this.cmdSN,
              expStatSN: this.expStatSN,
            }),
          );
        }
        return;
      }
      case 'text-response':
      case 'logout-response':
      case 'task-management-response':
        this.updateWindow(pdu);
        this.expStatSN = (pdu.statSN + 1) >>> 0;
        this.settle(pdu.itt, pdu);
        return;
      case 'reject': {
        this.expStatSN = (pdu.statSN + 1) >>> 0;
        const error = protocolError(`target rejected a PDU (reason ${pdu.reason.toString(16)}h)`, {
          device: this.name,
        });
        const task = pdu.rejectedItt !== undefined ? this.tasks.get(pdu.rejectedItt) : undefined;
        if (task) {
          this.finish(task);
          task.reject(error);
        } else if (pdu.rejectedItt !== undefined && this.exchanges.has(pdu.rejectedItt)) {
          const ex = this.exchanges.get(pdu.rejectedItt)!;
          this.exchanges.delete(pdu.rejectedItt);
          ex.reject(error);
        }
        return;
      }
      case 'async-message':
        this.updateWindow(pdu);
        // 1: target requests logout; 2/3: target will drop the connection/session; 4: negotiation request we cannot serve.
        if (pdu.event >= 1 && pdu.event <= 4)
          this.destroy(
            new TapirError('TAPIR_E_DEVICE', `target ${this.name} is ending the session (async event ${pdu.event})`, {
              device: this.name,
            }),
          );
        return;
      case 'login-response':
        throw protocolError('Login Response in the full feature phase');
    }
  }

  private task(itt: number, what: string): ScsiTask {
    const task = this.tasks.get(itt);
    if (!task) throw protocolError(`${what} for unknown task tag ${itt.toString(16)}h`);
    return task;
  }

  private settle(itt: number, pdu: TargetPdu): void {
    const ex = this.exchanges.get(itt);
    if (!ex) throw protocolError(`${pdu.kind} for unknown task tag ${itt.toString(16)}h`);
    this.exchanges.delete(itt);
    ex.resolve(pdu);
  }

  private closed(reason: TapirError): void {
    if (this.closedReason) return;
    this.closedReason = reason;
    for (const task of [...this.tasks.values()]) {
      this.finish(task);
      const name = opcodeName(task.request.cdb[0] ?? 0);
      task.reject(
        new TapirError(
          reason.code,
          `${name} on LUN ${task.lun} failed: ${reason.message}`,
          { ...reason.context, lun: task.lun, command: name },
          { cause: reason },
        ),
      );
    }
    for (const [itt, ex] of [...this.exchanges]) {
      this.exchanges.delete(itt);
      ex.reject(reason);
    }
    for (const w of this.windowWaiters.splice(0)) w();
    for (const l of this.closeListeners.splice(0)) l(reason);
  }
}
