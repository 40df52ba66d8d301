import type { XapiConnection, XapiRecord } from './XapiConnection.js';

const NULL_REF = 'OpaqueRef:NULL';

/** One disk of a VM, as `tapir xen vms` lists it. */
export interface PoolVmDisk {
  /** The VBD's `userdevice` (0 = first disk). */
  userdevice: string;
  uuid: string;
  name: string;
  sizeBytes: number;
  /** Name label of the SR holding it. */
  sr: string;
}

/** One VM of a pool, as `tapir xen vms` lists it. */
export interface PoolVm {
  uuid: string;
  name: string;
  powerState: string;
  /** The host it runs on (name label), or null when it does not run. */
  host: string | null;
  tags: string[];
  disks: PoolVmDisk[];
}

/**
 * The VMs of a pool — not templates, snapshots or control domains — with their disks, sorted by name. Six
 * `get_all_records` calls, whatever the size of the pool.
 */
export async function listPoolVms(conn: XapiConnection): Promise<PoolVm[]> {
  const all = (cls: string) => conn.call<Record<string, XapiRecord>>(`${cls}.get_all_records`);
  const [vms, hosts, vbds, vdis, srs] = await Promise.all([all('VM'), all('host'), all('VBD'), all('VDI'), all('SR')]);
  const out: PoolVm[] = [];
  for (const vm of Object.values(vms)) {
    if (vm.is_a_template === true || vm.is_a_snapshot === true || vm.is_control_domain === true) continue;
    const disks: PoolVmDisk[] = [];
    for (const vbdRef of (vm.VBDs as string[] | undefined) ?? []) {
      const vbd = vbds[vbdRef];
      const vdi = vbd && typeof vbd.VDI === 'string' && vbd.VDI !== NULL_REF ? vdis[vbd.VDI] : undefined;
      if (!vbd || vbd.type !== 'Disk' || !vdi) continue;
      disks.push({
        userdevice: String(vbd.userdevice),
        uuid: String(vdi.uuid),
        name: String(vdi.name_label ?? ''),
        sizeBytes: Number(vdi.virtual_size ?? 0),
        sr: String(srs[String(vdi.SR)]?.name_label ?? vdi.SR),
      });
    }
    disks.sort((a, b) => Number(a.userdevice) - Number(b.userdevice));
    const host = typeof vm.resident_on === 'string' ? hosts[vm.resident_on] : undefined;
    out.push({
      uuid: String(vm.uuid),
      name: String(vm.name_label ?? ''),
      powerState: String(vm.power_state),
      host: host ? String(host.name_label) : null,
      tags: Array.isArray(vm.tags) ? vm.tags.map(String) : [],
      disks,
    });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name) || a.uuid.localeCompare(b.uuid));
}
