import type { TransferHandler, XapiFault } from './xapi-fault.js';

type PendingFault = XapiFault & { remaining: number };

/** Faults waiting for the request they apply to. */
export class FaultBoard {
  private readonly pending: PendingFault[] = [];

  /** Queues a fault that applies to a later request. */
  add(fault: XapiFault): void {
    const times =
      fault.kind === 'call-error' ? (fault.times ?? 1) : fault.kind === 'vm-migrates' ? (fault.afterCalls ?? 1) : 1;
    this.pending.push({ ...fault, remaining: times });
  }

  /** Takes the `call-error` fault for this method, if one is pending. */
  takeCallError(method: string): Extract<XapiFault, { kind: 'call-error' }> | undefined {
    const i = this.pending.findIndex((f) => f.kind === 'call-error' && f.method.toLowerCase() === method.toLowerCase());
    if (i < 0) return undefined;
    const fault = this.pending[i] as PendingFault & { kind: 'call-error' };
    if (--fault.remaining <= 0) this.pending.splice(i, 1);
    return fault;
  }

  /** Counts one RPC call towards pending migrations; returns those due now. */
  takeDueMigrations(): Extract<XapiFault, { kind: 'vm-migrates' }>[] {
    const due: Extract<XapiFault, { kind: 'vm-migrates' }>[] = [];
    for (let i = this.pending.length - 1; i >= 0; i--) {
      const f = this.pending[i]!;
      if (f.kind === 'vm-migrates' && --f.remaining <= 0) {
        due.push(f);
        this.pending.splice(i, 1);
      }
    }
    return due;
  }

  /** Takes a pending `events-lost` fault. */
  takeEventsLost(): boolean {
    const i = this.pending.findIndex((f) => f.kind === 'events-lost');
    if (i >= 0) this.pending.splice(i, 1);
    return i >= 0;
  }

  /** Takes the first transfer fault that applies to this handler. */
  takeTransferFault(
    handler: TransferHandler,
  ):
    | Extract<XapiFault, { kind: 'vdi-io-error' | 'premature-close' | 'http-in-body' | 'redirect' | 'task-destroyed' }>
    | undefined {
    const i = this.pending.findIndex(
      (f) =>
        (f.kind === 'vdi-io-error' ||
          f.kind === 'premature-close' ||
          f.kind === 'http-in-body' ||
          f.kind === 'redirect' ||
          f.kind === 'task-destroyed') &&
        (f.handler === undefined || f.handler === handler),
    );
    if (i < 0) return undefined;
    const [fault] = this.pending.splice(i, 1);
    return fault as Extract<
      XapiFault,
      { kind: 'vdi-io-error' | 'premature-close' | 'http-in-body' | 'redirect' | 'task-destroyed' }
    >;
  }
}
