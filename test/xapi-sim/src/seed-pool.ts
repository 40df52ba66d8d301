import { newHostRecord } from './api/host.js';
import { newNetworkRecord } from './api/network.js';
import { newPbdRecord } from './api/pbd.js';
import { newPoolRecord } from './api/pool.js';
import { newSrRecord } from './api/sr.js';
import { createVbd } from './api/vbd.js';
import { createVdi } from './api/vdi.js';
import { createVif } from './api/vif.js';
import { setPowerState, startVm } from './api/vm-power.js';
import { newVmRecord } from './api/vm-record.js';
import { NULL_REF, newOpaqueRef } from './model/opaque-ref.js';
import { addToRefSet } from './model/ref-sets.js';
import type { XapiPool } from './model/xapi-pool.js';
import type { DiskContent } from './storage/disk-store.js';

/** A disk of a simulated VM. */
export interface SimulatedDiskOptions {
  sizeBytes: number;
  /** Initial bytes (written at offset 0), `'random'` (default) or `'zeros'`. */
  content?: DiskContent;
  name?: string;
  /** On the pool's shared SR (default) or on the local SR of the VM's host. */
  sr?: 'shared' | 'local';
}

/** A VM to create in the simulated pool. */
export interface SimulatedVmOptions {
  name: string;
  disks?: SimulatedDiskOptions[];
  /** Default `Running`. */
  powerState?: 'Running' | 'Halted';
  /** Index of the host it runs on (its affinity), default 0. */
  host?: number;
  /** Number of VIFs (default 1). */
  vifs?: number;
  tags?: string[];
  /** Add an empty CD drive (default true), as most VMs have. */
  cdDrive?: boolean;
}

/** Shared SR capacity advertised in records. */
const SR_SIZE = 2 ** 40;

/**
 * Fills an empty pool: the pool object, hosts (each with its control domain
 * and a local SR), a shared SR that every host sees (the default SR), one
 * network, and the requested VMs with their disks, VBDs, an empty CD drive and VIFs.
 */
export async function seedPool(
  pool: XapiPool,
  addresses: readonly string[],
  vms: readonly SimulatedVmOptions[],
): Promise<void> {
  const db = pool.db;
  const hostRefs = addresses.map((address, index) => {
    const ref = db.create('host', newHostRecord(`xapi-sim-host-${index}`, address), newOpaqueRef());
    pool.hosts.push({ ref, index, address, up: true });
    return ref;
  });
  pool.poolRef = db.create('pool', newPoolRecord(hostRefs[0]!));

  for (const hostRef of hostRefs) {
    const dom0 = newVmRecord({ name_label: `Control domain on host: ${db.get('host', hostRef)['name_label']}` });
    dom0['is_control_domain'] = true;
    const dom0Ref = db.create('VM', dom0);
    setPowerState(pool, dom0Ref, 'Running', hostRef);
    db.update('host', hostRef, (h) => (h['control_domain'] = dom0Ref));
  }

  const sharedSr = db.create(
    'SR',
    newSrRecord({ name_label: 'Shared NFS storage', type: 'nfs', shared: true, physical_size: SR_SIZE }),
  );
  for (const hostRef of hostRefs) {
    const pbd = db.create('PBD', newPbdRecord(hostRef, sharedSr));
    addToRefSet(db, 'SR', sharedSr, 'PBDs', pbd);
    addToRefSet(db, 'host', hostRef, 'PBDs', pbd);
  }
  const localSrs = hostRefs.map((hostRef) => {
    const sr = db.create(
      'SR',
      newSrRecord({ name_label: 'Local storage', type: 'ext', shared: false, physical_size: SR_SIZE }),
    );
    const pbd = db.create('PBD', newPbdRecord(hostRef, sr));
    addToRefSet(db, 'SR', sr, 'PBDs', pbd);
    addToRefSet(db, 'host', hostRef, 'PBDs', pbd);
    return sr;
  });
  db.update('pool', pool.poolRef, (p) => {
    p['default_SR'] = sharedSr;
    p['suspend_image_SR'] = sharedSr;
    p['crash_dump_SR'] = sharedSr;
  });
  const network = db.create('network', newNetworkRecord('Pool-wide network associated with eth0', 'xenbr0'));

  for (const spec of vms) {
    const hostIndex = spec.host ?? 0;
    const hostRef = hostRefs[hostIndex];
    if (hostRef === undefined) throw new RangeError(`VM ${spec.name}: no host at index ${hostIndex}`);
    const record = newVmRecord({ name_label: spec.name });
    record['affinity'] = hostRef;
    record['tags'] = [...(spec.tags ?? [])];
    const vmRef = db.create('VM', record);
    for (const [i, disk] of (spec.disks ?? []).entries()) {
      const vdi = await createVdi(
        pool,
        {
          SR: disk.sr === 'local' ? localSrs[hostIndex]! : sharedSr,
          virtual_size: disk.sizeBytes,
          name_label: disk.name ?? `${spec.name} disk ${i}`,
        },
        disk.content ?? 'random',
      );
      createVbd(pool, { VM: vmRef, VDI: vdi, userdevice: String(i), bootable: i === 0 });
    }
    if (spec.cdDrive ?? true) createVbd(pool, { VM: vmRef, VDI: NULL_REF, userdevice: '3', type: 'CD', empty: true });
    for (let i = 0; i < (spec.vifs ?? 1); i++) createVif(pool, { VM: vmRef, network, device: String(i) });
    if ((spec.powerState ?? 'Running') === 'Running') startVm(pool, vmRef, false, hostRef);
  }
}
