import { type Logger, TapirError } from '@tapir/sdk';
import type { XapiConnection, XapiRecord } from './XapiConnection.js';
import { xapiCode } from './xapiErrors.js';

const NULL_REF = 'OpaqueRef:NULL';

/** A VM restored only to be health-checked. */
export interface HealthCheckSubject {
  ref: string;
  uuid: string;
  name: string;
  /** The save-set item it was restored from (`vms/<uuid>/vm.xva`). */
  path: string;
}

/** How a health check behaves. */
export interface HealthCheckOptions {
  /** Time for the VM to start and (when expected) report guest metrics, in ms. */
  timeoutMs: number;
  /** Wait for guest metrics too: the backed-up VM had them, so its guest tools report when the OS is up. */
  expectGuestMetrics: boolean;
  /** Keep the VM's network interfaces; otherwise they are removed so the copy cannot clash with the original. */
  keepNetwork: boolean;
  /** Time between two looks at the VM, in ms. */
  pollMs?: number;
  signal: AbortSignal;
  log: Logger;
}

/** What a health check saw. */
export interface HealthCheckReport {
  /** The restored (and since removed) VM. */
  vm: { uuid: string; name: string };
  path: string;
  /** `passed`: started (and reported guest metrics when expected). */
  outcome: 'passed' | 'failed';
  /** The power state last seen. */
  powerState: string;
  /** `true` when guest metrics appeared, `false` when they were expected and did not, `null` when not expected. */
  guestMetrics: boolean | null;
  seconds: number;
  /** Why it failed. */
  reason?: string;
}

/**
 * Starts a restored VM and waits, up to the timeout, until it is Running and — when its guest tools report —
 * until guest metrics appear. The VM is shut down and destroyed with its disks afterwards, whatever happened:
 * a health check leaves nothing behind.
 *
 * @returns the report of a check that passed.
 * @throws TapirError `TAPIR_E_RESTORE_TARGET` naming the VM and what failed (the report in `context.healthCheck`),
 * or naming what could not be removed.
 */
export async function healthCheckVm(
  conn: XapiConnection,
  vm: HealthCheckSubject,
  options: HealthCheckOptions,
): Promise<HealthCheckReport> {
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  const label = `VM ${vm.name} (${vm.uuid}, restored from ${vm.path})`;
  const report: HealthCheckReport = {
    vm: { uuid: vm.uuid, name: vm.name },
    path: vm.path,
    outcome: 'failed',
    powerState: 'Halted',
    guestMetrics: options.expectGuestMetrics ? false : null,
    seconds: 0,
  };
  const fail = (reason: string, cause?: unknown): TapirError => {
    report.reason = reason;
    report.seconds = (Date.now() - started) / 1000;
    const code = xapiCode(cause);
    return new TapirError(
      'TAPIR_E_RESTORE_TARGET',
      `health check of ${label} failed: ${reason}`,
      { vm: vm.uuid, item: vm.path, healthCheck: { ...report }, ...(code ? { pluginCode: code } : {}) },
      cause === undefined ? undefined : { cause },
    );
  };
  const watch = async (): Promise<void> => {
    if (!options.keepNetwork) {
      for (const vif of (await conn.call<string[]>('VM.get_VIFs', vm.ref)) ?? [])
        await conn.tryCall(['HANDLE_INVALID'], 'VIF.destroy', vif);
    }
    options.log.info({ vm: vm.uuid }, `health check: starting ${label}`);
    try {
      await withDeadline(conn.callAsync('VM.start', vm.ref, false, false), deadline, options.signal);
    } catch (error) {
      if (error instanceof DeadlineError) throw fail(`it did not start within ${options.timeoutMs / 1000} s`);
      if (error instanceof TapirError && error.code === 'TAPIR_E_ABORTED') throw error;
      throw fail(`it did not start: ${error instanceof Error ? error.message : String(error)}`, error);
    }
    const pollMs = options.pollMs ?? 1000;
    for (;;) {
      const record = await conn.call<XapiRecord>('VM.get_record', vm.ref);
      report.powerState = String(record.power_state);
      const running = report.powerState === 'Running';
      const metrics = typeof record.guest_metrics === 'string' && record.guest_metrics !== NULL_REF;
      if (options.expectGuestMetrics) report.guestMetrics = metrics;
      if (running && (metrics || !options.expectGuestMetrics)) break;
      // VM.start returns once the domain runs: any other state now means it stopped or crashed.
      if (!running) throw fail(`it was ${report.powerState} right after starting`);
      if (Date.now() + pollMs > deadline) {
        throw fail(
          `it is Running but reported no guest metrics within ${options.timeoutMs / 1000} s (its guest tools did, before the backup: the guest OS did not come up)`,
        );
      }
      await sleep(pollMs, options.signal);
    }
    report.outcome = 'passed';
    report.seconds = (Date.now() - started) / 1000;
  };

  let leftovers: string[] = [];
  try {
    await watch();
  } finally {
    // Whatever happened. When the check failed, its error propagates and what is left is in the log.
    leftovers = await removeVm(conn, vm, options.log);
  }
  if (leftovers.length > 0) {
    throw new TapirError(
      'TAPIR_E_RESTORE_TARGET',
      `health check of ${label} passed but removing it failed: ${leftovers.join(', ')} remain on the pool; remove them by hand`,
      { vm: vm.uuid, item: vm.path, healthCheck: { ...report } },
    );
  }
  return report;
}

/**
 * Shuts a VM down hard and destroys it with its disks and suspend image (never CD images: those belong to ISO
 * SRs). Never throws: returns what could not be removed, and logs why.
 */
export async function removeVm(conn: XapiConnection, vm: HealthCheckSubject, log: Logger): Promise<string[]> {
  const left: string[] = [];
  const vdis: string[] = [];
  try {
    const record = await conn.tryCall<XapiRecord>(['HANDLE_INVALID'], 'VM.get_record', vm.ref);
    if (record === undefined) return [];
    for (const vbdRef of (record.VBDs as string[] | undefined) ?? []) {
      const vbd = await conn.tryCall<XapiRecord>(['HANDLE_INVALID'], 'VBD.get_record', vbdRef);
      if (vbd?.type === 'Disk' && typeof vbd.VDI === 'string' && vbd.VDI !== NULL_REF) vdis.push(vbd.VDI);
    }
    if (typeof record.suspend_VDI === 'string' && record.suspend_VDI !== NULL_REF) vdis.push(record.suspend_VDI);
    if (record.power_state !== 'Halted')
      await conn.tryCall(['VM_BAD_POWER_STATE', 'HANDLE_INVALID'], 'VM.hard_shutdown', vm.ref);
    await conn.tryCall(['HANDLE_INVALID'], 'VM.destroy', vm.ref);
  } catch (error) {
    log.error({ vm: vm.uuid, err: String(error) }, `health check: could not remove VM ${vm.uuid}: ${String(error)}`);
    left.push(`VM ${vm.uuid}`);
  }
  for (const vdi of vdis) {
    try {
      await conn.tryCall(['HANDLE_INVALID'], 'VDI.destroy', vdi);
    } catch (error) {
      log.error({ vm: vm.uuid, vdi }, `health check: could not remove disk ${vdi} of VM ${vm.uuid}: ${String(error)}`);
      left.push(`VDI ${vdi}`);
    }
  }
  if (left.length === 0) log.info({ vm: vm.uuid }, `health check: removed VM ${vm.uuid} and ${vdis.length} disk(s)`);
  return left;
}

class DeadlineError extends Error {}

/** `promise`, or a {@link DeadlineError} at `deadline`, or TAPIR_E_ABORTED when `signal` aborts. */
async function withDeadline<T>(promise: Promise<T>, deadline: number, signal: AbortSignal): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  // A start that outlives the deadline still settles later; its outcome no longer matters.
  promise.catch(() => {});
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new DeadlineError()), Math.max(0, deadline - Date.now()));
        onAbort = () => reject(new TapirError('TAPIR_E_ABORTED', 'the restore was cancelled'));
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return withDeadline(new Promise<void>(() => {}), Date.now() + ms, signal).catch((error: unknown) => {
    if (!(error instanceof DeadlineError)) throw error;
  });
}
