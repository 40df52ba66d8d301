import { designateMaster } from './api/pool.js';
import { migrateVm } from './api/vm-power.js';
import { refreshUtilisation } from './api/vdi.js';
import { findVm } from './model/find-vm.js';
import { NULL_REF } from './model/opaque-ref.js';
import type { XapiPool } from './model/xapi-pool.js';
import type { XapiRecord } from './model/xapi-value.js';
import type { VirtualDisk } from './storage/virtual-disk.js';

/** A VM's disk as tests see it. */
export interface SimulatedDisk {
  vdiRef: string;
  uuid: string;
  /** The VBD's `userdevice`. */
  userdevice: string;
  disk: VirtualDisk;
}

/**
 * Test-side access to the simulated pool: look at objects and disks, act as
 * the guest (write to a disk), move VMs, change the master. Nothing here is
 * reachable over the wire.
 */
export class SimulatorControl {
  constructor(readonly pool: XapiPool) {}

  /** A VM by reference, UUID or name label (snapshots excluded from name lookups). */
  vm(key: string): { ref: string; uuid: string; record: XapiRecord } {
    const ref = findVm(this.pool, key);
    const record = this.pool.db.get('VM', ref);
    return { ref, uuid: record['uuid'] as string, record };
  }

  /** The VM's data disks in `userdevice` order. */
  vmDisks(key: string): SimulatedDisk[] {
    const { record } = this.vm(key);
    return (record['VBDs'] as string[])
      .map((vbd) => this.pool.db.get('VBD', vbd))
      .filter((vbd) => vbd['type'] === 'Disk' && vbd['VDI'] !== NULL_REF)
      .sort((a, b) => Number(a['userdevice']) - Number(b['userdevice']))
      .map((vbd) => {
        const vdiRef = vbd['VDI'] as string;
        return {
          vdiRef,
          uuid: this.pool.db.get('VDI', vdiRef)['uuid'] as string,
          userdevice: vbd['userdevice'] as string,
          disk: this.pool.disks.get(vdiRef),
        };
      });
  }

  /** The content of a VDI (by reference). */
  disk(vdiRef: string): VirtualDisk {
    return this.pool.disks.get(vdiRef);
  }

  /** Writes to a VM's disk as its guest would; the write is tracked for CBT and deltas. */
  async writeGuestDisk(vmKey: string, diskIndex: number, offset: number, data: Uint8Array): Promise<void> {
    const disk = this.vmDisks(vmKey)[diskIndex];
    if (disk === undefined) throw new RangeError(`VM ${vmKey} has no disk ${diskIndex}`);
    await disk.disk.write(offset, data);
    refreshUtilisation(this.pool, disk.vdiRef);
  }

  /** Live-migrates a running VM to the host at `hostIndex`. */
  migrateVm(vmKey: string, hostIndex: number): void {
    migrateVm(this.pool, findVm(this.pool, vmKey), this.pool.hostAt(hostIndex).ref);
  }

  /** Makes the host at `hostIndex` the pool master. */
  setMaster(hostIndex: number): void {
    designateMaster(this.pool, this.pool.hostAt(hostIndex).ref);
  }

  /** Index of the current master. */
  get masterIndex(): number {
    return this.pool.master.index;
  }

  /** Every task record, by reference. */
  tasks(): [string, XapiRecord][] {
    return this.pool.db.all('task');
  }

  /** Every VM that is neither a control domain nor a template, by reference (snapshots included). */
  vms(): [string, XapiRecord][] {
    return this.pool.db.all('VM').filter(([, r]) => r['is_control_domain'] !== true);
  }
}
