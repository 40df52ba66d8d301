import { NULL_REF } from '../model/opaque-ref.js';
import { addToRefSet, removeFromRefSet } from '../model/ref-sets.js';
import { XapiFailure } from '../model/xapi-failure.js';
import type { XapiPool } from '../model/xapi-pool.js';
import { allowedVmOperations, badPowerState, type PowerState } from './vm-record.js';

/** Local (non-shared) SRs that hold the VM's disks, with the host that sees each. */
export function localSrsOf(pool: XapiPool, vmRef: string): { sr: string; host: string }[] {
  const out: { sr: string; host: string }[] = [];
  for (const vbd of pool.db.get('VM', vmRef)['VBDs'] as string[]) {
    const vdi = pool.db.find('VBD', vbd)?.['VDI'] as string | undefined;
    if (vdi === undefined || vdi === NULL_REF || !pool.db.has('VDI', vdi)) continue;
    const sr = pool.db.get('VDI', vdi)['SR'] as string;
    const srRecord = pool.db.get('SR', sr);
    if (srRecord['shared'] === true) continue;
    const pbd = (srRecord['PBDs'] as string[])[0];
    const host = pbd === undefined ? undefined : (pool.db.find('PBD', pbd)?.['host'] as string | undefined);
    if (host !== undefined && !out.some((o) => o.sr === sr)) out.push({ sr, host });
  }
  return out;
}

/** Sets the power state and everything that follows from it: residency, attached devices, allowed operations. */
export function setPowerState(pool: XapiPool, vmRef: string, state: PowerState, hostRef = NULL_REF): void {
  const vm = pool.db.get('VM', vmRef);
  const previousHost = vm['resident_on'] as string;
  const resident = state === 'Running' || state === 'Paused' ? hostRef : NULL_REF;
  if (previousHost !== NULL_REF && previousHost !== resident)
    removeFromRefSet(pool.db, 'host', previousHost, 'resident_VMs', vmRef);
  pool.db.update('VM', vmRef, (r) => {
    r['power_state'] = state;
    r['resident_on'] = resident;
    r['domid'] = resident === NULL_REF ? -1 : 1 + Math.floor(Math.random() * 1000);
    r['allowed_operations'] = allowedVmOperations(state, r['is_a_snapshot'] === true, r['is_a_template'] === true);
  });
  if (resident !== NULL_REF) addToRefSet(pool.db, 'host', resident, 'resident_VMs', vmRef);
  const attached = state === 'Running' || state === 'Paused';
  for (const vbd of vm['VBDs'] as string[]) pool.db.update('VBD', vbd, (r) => (r['currently_attached'] = attached));
  for (const vif of vm['VIFs'] as string[]) pool.db.update('VIF', vif, (r) => (r['currently_attached'] = attached));
}

/** Throws `VM_IS_TEMPLATE` / `OPERATION_NOT_ALLOWED` for objects that cannot run, and `blocked_operations` hits. */
export function assertCanRun(pool: XapiPool, vmRef: string, operation: string): void {
  const vm = pool.db.get('VM', vmRef);
  if (vm['is_a_template'] === true || vm['is_a_snapshot'] === true) throw new XapiFailure('VM_IS_TEMPLATE', [vmRef]);
  const blocked = vm['blocked_operations'] as Record<string, string>;
  if (blocked[operation] !== undefined) {
    throw new XapiFailure('OPERATION_BLOCKED', [vmRef, blocked[operation] || `${operation} is blocked`]);
  }
}

/** The host a halted VM starts on: the one that sees its local disks, else its affinity, else the master. */
export function chooseStartHost(pool: XapiPool, vmRef: string, wanted?: string): string {
  const local = localSrsOf(pool, vmRef);
  if (wanted !== undefined) {
    const missing = local.find((l) => l.host !== wanted);
    if (missing !== undefined) throw new XapiFailure('VM_REQUIRES_SR', [vmRef, missing.sr]);
    return wanted;
  }
  if (local[0] !== undefined) return local[0].host;
  const affinity = pool.db.get('VM', vmRef)['affinity'] as string;
  return pool.db.has('host', affinity) ? affinity : pool.masterRef;
}

/** `VM.start` / `VM.start_on`. */
export function startVm(pool: XapiPool, vmRef: string, paused: boolean, hostRef?: string): void {
  assertCanRun(pool, vmRef, 'start');
  const state = pool.db.get('VM', vmRef)['power_state'] as PowerState;
  if (state !== 'Halted') throw badPowerState(vmRef, 'Halted', state);
  setPowerState(pool, vmRef, paused ? 'Paused' : 'Running', chooseStartHost(pool, vmRef, hostRef));
}

/** `VM.clean_shutdown` (needs Running) and `VM.hard_shutdown` (Running, Paused or Suspended). */
export function shutdownVm(pool: XapiPool, vmRef: string, hard: boolean): void {
  const vm = pool.db.get('VM', vmRef);
  const state = vm['power_state'] as PowerState;
  const ok = hard ? state !== 'Halted' : state === 'Running';
  if (!ok) throw badPowerState(vmRef, 'Running', state);
  assertCanRun(pool, vmRef, hard ? 'hard_shutdown' : 'clean_shutdown');
  setPowerState(pool, vmRef, 'Halted');
  if (state === 'Suspended') pool.db.update('VM', vmRef, (r) => (r['suspend_VDI'] = NULL_REF));
}

/** `VM.pool_migrate`: a running VM moves to another host; disks must be on shared SRs. */
export function migrateVm(pool: XapiPool, vmRef: string, hostRef: string): void {
  const vm = pool.db.get('VM', vmRef);
  const state = vm['power_state'] as PowerState;
  if (state !== 'Running') throw badPowerState(vmRef, 'Running', state);
  assertCanRun(pool, vmRef, 'pool_migrate');
  if (vm['resident_on'] === hostRef)
    throw new XapiFailure('OPERATION_NOT_ALLOWED', ['The VM already runs on this host']);
  const local = localSrsOf(pool, vmRef)[0];
  if (local !== undefined) throw new XapiFailure('VM_REQUIRES_SR', [vmRef, local.sr]);
  setPowerState(pool, vmRef, 'Running', hostRef);
}
