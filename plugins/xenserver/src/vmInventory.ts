import { TapirError } from '@tapir/sdk';
import type { XapiConnection, XapiRecord } from './XapiConnection.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NULL_REF = 'OpaqueRef:NULL';

/** A VM found in the pool. */
export interface VmHandle {
  ref: string;
  uuid: string;
  record: XapiRecord;
}

/** One disk of a VM or snapshot, in `userdevice` order. */
export interface VmDisk {
  userdevice: string;
  vbdRef: string;
  vdiRef: string;
  vdi: XapiRecord;
}

/**
 * Finds a VM anywhere in the pool by UUID or unique name label. Looked up at every run: references are not
 * stable across XAPI restarts, and the VM may live on any member.
 */
export async function findVm(conn: XapiConnection, key: string): Promise<VmHandle> {
  if (UUID.test(key)) {
    const ref = await conn.tryCall<string>(['UUID_INVALID', 'HANDLE_INVALID'], 'VM.get_by_uuid', key);
    if (ref !== undefined) {
      const found = await handle(conn, ref);
      const not = notAVm(found.record);
      if (not)
        throw new TapirError('TAPIR_E_NOT_FOUND', `${key} is ${not}, not a VM: tapir backs up VMs only`, {
          vm: key,
          url: conn.url,
        });
      return found;
    }
  }
  const refs = (await conn.call<string[]>('VM.get_by_name_label', key)) ?? [];
  const candidates: VmHandle[] = [];
  for (const ref of refs) {
    const found = await handle(conn, ref);
    if (!notAVm(found.record)) candidates.push(found);
  }
  if (candidates.length === 1) return candidates[0]!;
  if (candidates.length === 0)
    throw new TapirError('TAPIR_E_NOT_FOUND', `no VM with UUID or name "${key}" in the pool at ${conn.url}`, {
      vm: key,
      url: conn.url,
    });
  throw new TapirError(
    'TAPIR_E_NOT_FOUND',
    `${candidates.length} VMs are named "${key}" (${candidates.map((c) => c.uuid).join(', ')}); name one by UUID`,
    { vm: key, url: conn.url },
  );
}

/** What a VM record is when it is not a VM tapir backs up (a snapshot, a template, a control domain), else undefined. */
function notAVm(record: XapiRecord): string | undefined {
  if (record.is_a_snapshot === true) return 'a snapshot';
  if (record.is_a_template === true) return 'a template';
  if (record.is_control_domain === true) return 'a control domain';
  return undefined;
}

async function handle(conn: XapiConnection, ref: string): Promise<VmHandle> {
  const record = await conn.call<XapiRecord>('VM.get_record', ref);
  return { ref, uuid: String(record.uuid), record };
}

/** The VM's (or snapshot's) data disks: VBDs of type Disk with a VDI, by `userdevice`. */
export async function vmDisks(conn: XapiConnection, vmRef: string): Promise<VmDisk[]> {
  const vbds = await conn.call<string[]>('VM.get_VBDs', vmRef);
  const disks: VmDisk[] = [];
  for (const vbdRef of vbds) {
    const vbd = await conn.call<XapiRecord>('VBD.get_record', vbdRef);
    const vdiRef = String(vbd.VDI);
    if (vbd.type !== 'Disk' || vdiRef === NULL_REF) continue;
    disks.push({
      userdevice: String(vbd.userdevice),
      vbdRef,
      vdiRef,
      vdi: await conn.call<XapiRecord>('VDI.get_record', vdiRef),
    });
  }
  return disks.sort((a, b) => Number(a.userdevice) - Number(b.userdevice));
}

/** Every VDI a snapshot or checkpoint holds (disks and the suspend image). */
export async function snapshotVdis(conn: XapiConnection, vmRef: string): Promise<string[]> {
  const record = await conn.call<XapiRecord>('VM.get_record', vmRef);
  const vdis = new Set<string>();
  for (const vbdRef of (record.VBDs as string[]) ?? []) {
    const vdi = await conn.tryCall<string>(['HANDLE_INVALID'], 'VBD.get_VDI', vbdRef);
    if (vdi && vdi !== NULL_REF) vdis.add(vdi);
  }
  const suspend = record.suspend_VDI;
  if (typeof suspend === 'string' && suspend !== NULL_REF) vdis.add(suspend);
  return [...vdis];
}

/**
 * Destroys a snapshot or checkpoint and its VDIs (`VM.destroy` leaves them, as XAPI does). Objects already gone
 * are skipped, so this can run twice.
 */
export async function destroySnapshot(conn: XapiConnection, vmRef: string): Promise<void> {
  let vdis: string[];
  try {
    vdis = await snapshotVdis(conn, vmRef);
  } catch (error) {
    if (error instanceof TapirError && error.context.pluginCode === 'HANDLE_INVALID') return;
    throw error;
  }
  const vdiRecords = await Promise.all(
    vdis.map(async (ref) => ({
      ref,
      record: await conn.tryCall<XapiRecord>(['HANDLE_INVALID'], 'VDI.get_record', ref),
    })),
  );
  await conn.tryCall(['HANDLE_INVALID'], 'VM.destroy', vmRef);
  for (const { ref, record } of vdiRecords) {
    // Only VDIs the snapshot owns: a snapshot's disks are snapshots, a checkpoint's suspend image is its own.
    if (record === undefined || (record.is_a_snapshot !== true && record.type !== 'suspend')) continue;
    await conn.tryCall(['HANDLE_INVALID'], 'VDI.destroy', ref);
  }
}
