import { createHash } from 'node:crypto';
import { newNetworkRecord } from '../api/network.js';
import { createVbd } from '../api/vbd.js';
import { createVdi, destroyVdi, refreshUtilisation, type VdiSpec } from '../api/vdi.js';
import { createVif } from '../api/vif.js';
import { setPowerState, shutdownVm } from '../api/vm-power.js';
import { allowedVmOperations, badPowerState, newVmRecord, type PowerState } from '../api/vm-record.js';
import { destroyVm, destroyVmAndDisks } from '../api/vm-snapshot.js';
import type { ByteReader } from '../format/byte-reader.js';
import { parseOvaXml, type OvaObject } from '../format/ova-xml.js';
import { readTarMembers } from '../format/tar-reader.js';
import { XVA_CHUNK } from '../format/xva-writer.js';
import { NULL_REF } from '../model/opaque-ref.js';
import { XapiDateTime } from '../model/xapi-date-time.js';
import { XapiFailure } from '../model/xapi-failure.js';
import type { XapiPool } from '../model/xapi-pool.js';
import type { XapiRecord, XapiValue } from '../model/xapi-value.js';

/** How an XVA is imported. */
export interface XvaImportOptions {
  srRef: string;
  /** Keep the VM's UUID and VIF MACs, replacing a halted VM with that UUID. */
  restore: boolean;
  /** With `restore`, replace the VM even if it runs. */
  force: boolean;
}

/** VM fields an import does not take from `ova.xml`: references, runtime state, identity. */
const NOT_IMPORTED = new Set([
  'uuid',
  'VBDs',
  'VIFs',
  'snapshots',
  'snapshot_of',
  'parent',
  'children',
  'resident_on',
  'affinity',
  'suspend_VDI',
  'suspend_SR',
  'consoles',
  'crash_dumps',
  'metrics',
  'guest_metrics',
  'allowed_operations',
  'current_operations',
  'power_state',
  'is_a_snapshot',
  'domid',
  'appliance',
  'attached_PCIs',
  'VGPUs',
  'VUSBs',
  'VTPMs',
  'protection_policy',
  'snapshot_schedule',
  'scheduled_to_be_resident_on',
  'is_control_domain',
]);

/** Converts an `ova.xml` value (ints arrive as strings) to the type of the field's default. */
function coerceLike(template: XapiValue, value: XapiValue): XapiValue {
  if (typeof template === 'number') return Number(value);
  if (typeof template === 'boolean') return value === true || value === 'true' || value === '1';
  if (typeof template === 'string') return String(value);
  if (template instanceof XapiDateTime)
    return value instanceof XapiDateTime ? value : XapiDateTime.parse(String(value));
  if (Array.isArray(template)) return Array.isArray(value) ? value.map(String) : [];
  if (typeof value === 'object' && !Array.isArray(value) && !(value instanceof XapiDateTime)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]));
  }
  return template;
}

function importedVmRecord(snapshot: XapiRecord, restore: boolean): XapiRecord {
  const record = newVmRecord({ name_label: String(snapshot['name_label'] ?? 'imported VM') });
  for (const [field, value] of Object.entries(snapshot)) {
    const template = record[field];
    if (template === undefined || NOT_IMPORTED.has(field)) continue;
    record[field] = coerceLike(template, value);
  }
  if (restore && typeof snapshot['uuid'] === 'string') record['uuid'] = snapshot['uuid'];
  return record;
}

function networkFor(pool: XapiPool, ova: OvaObject | undefined): string {
  const bridge = ova?.snapshot['bridge'];
  const name = ova?.snapshot['name_label'];
  const all = pool.db.all('network');
  const match = all.find(([, r]) => r['bridge'] === bridge) ?? all.find(([, r]) => r['name_label'] === name);
  if (match !== undefined) return match[0];
  return pool.db.create('network', newNetworkRecord(String(name ?? 'imported network'), `xapi${all.length}`));
}

/** Replaces an existing VM with the same UUID (restore), as XAPI does for a halted one. */
function makeRoomForRestore(pool: XapiPool, uuid: string, force: boolean): void {
  const existing = pool.db.all('VM').find(([, r]) => r['uuid'] === uuid)?.[0];
  if (existing === undefined) return;
  const state = pool.db.get('VM', existing)['power_state'] as PowerState;
  if (state !== 'Halted') {
    if (!force) throw badPowerState(existing, 'Halted', state);
    shutdownVm(pool, existing, true);
  }
  destroyVm(pool, existing);
}

/**
 * Imports an XVA from a (decompressed) tar stream: `ova.xml` must come first;
 * the VM, VDIs (in `srRef`), VBDs and VIFs are created, then each 1 MiB chunk
 * is written and checked against its `.checksum` (SHA-1; `.xxhash` is
 * accepted unchecked). On any failure everything created is removed.
 */
export async function importXva(pool: XapiPool, reader: ByteReader, options: XvaImportOptions): Promise<string> {
  const members = readTarMembers(reader);
  const first = await members.next();
  if (first.done || first.value.name !== 'ova.xml')
    throw new XapiFailure('IMPORT_ERROR', ['ova.xml is not the first member']);
  const { objects } = parseOvaXml(first.value.data.toString('utf8'));
  const byId = new Map(objects.map((o) => [o.id, o]));
  const vmObject = objects.find((o) => o.class === 'VM');
  if (vmObject === undefined) throw new XapiFailure('IMPORT_ERROR', ['no VM in ova.xml']);
  if (options.restore) makeRoomForRestore(pool, String(vmObject.snapshot['uuid']), options.force);

  const vmRef = pool.db.create('VM', importedVmRecord(vmObject.snapshot, options.restore));
  const vdiById = new Map<string, string>();
  try {
    for (const o of objects.filter((x) => x.class === 'VDI')) {
      const s = o.snapshot;
      const type = String(s['type'] ?? 'user');
      const spec: VdiSpec = {
        SR: options.srRef,
        virtual_size: Number(s['virtual_size']),
        name_label: String(s['name_label'] ?? ''),
        name_description: String(s['name_description'] ?? ''),
        type: (['user', 'system', 'suspend', 'crashdump'].includes(type) ? type : 'user') as VdiSpec['type'],
        other_config: coerceLike({}, s['other_config'] ?? {}) as Record<string, string>,
      };
      vdiById.set(o.id, await createVdi(pool, spec));
    }
    for (const o of objects.filter((x) => x.class === 'VBD' && x.snapshot['VM'] === vmObject.id)) {
      const s = o.snapshot;
      createVbd(pool, {
        VM: vmRef,
        VDI: vdiById.get(String(s['VDI'])) ?? NULL_REF,
        userdevice: String(s['userdevice'] ?? '0'),
        bootable: s['bootable'] === true || s['bootable'] === '1',
        mode: s['mode'] === 'RO' ? 'RO' : 'RW',
        type: s['type'] === 'CD' ? 'CD' : 'Disk',
      });
    }
    for (const o of objects.filter((x) => x.class === 'VIF' && x.snapshot['VM'] === vmObject.id)) {
      const s = o.snapshot;
      createVif(pool, {
        VM: vmRef,
        network: networkFor(pool, byId.get(String(s['network']))),
        device: String(s['device'] ?? '0'),
        MAC: options.restore ? String(s['MAC'] ?? '') : '',
        MTU: Number(s['MTU'] ?? 1500),
      });
    }
    const suspend = vdiById.get(String(vmObject.snapshot['suspend_VDI']));
    if (vmObject.snapshot['power_state'] === 'Suspended' && suspend !== undefined) {
      pool.db.update('VM', vmRef, (r) => (r['suspend_VDI'] = suspend));
      setPowerState(pool, vmRef, 'Suspended');
    }
    pool.db.update('VM', vmRef, (r) => {
      r['allowed_operations'] = allowedVmOperations(r['power_state'] as PowerState, false, r['is_a_template'] === true);
    });

    let last: { name: string; data: Buffer } | undefined;
    for await (const member of members) {
      const m = /^(Ref:[^/]+)\/(\d{8})(\.checksum|\.xxhash)?$/.exec(member.name);
      if (m === null) continue;
      const vdi = vdiById.get(m[1]!);
      if (vdi === undefined) throw new XapiFailure('IMPORT_ERROR', [`data for unknown VDI ${m[1]}`]);
      if (m[3] === '.checksum') {
        const expected = member.data.toString('ascii').trim().toLowerCase();
        if (last?.name !== `${m[1]}/${m[2]}` || createHash('sha1').update(last.data).digest('hex') !== expected) {
          throw new XapiFailure('IMPORT_ERROR', [`checksum mismatch in ${member.name}`]);
        }
        continue;
      }
      if (m[3] === '.xxhash') continue;
      await pool.disks.get(vdi).write(Number(m[2]) * XVA_CHUNK, member.data);
      last = { name: member.name, data: member.data };
    }
    for (const vdi of vdiById.values()) refreshUtilisation(pool, vdi);
    return vmRef;
  } catch (error) {
    await destroyVmAndDisks(pool, vmRef).catch(() => undefined);
    for (const vdi of vdiById.values()) {
      if (pool.db.has('VDI', vdi)) await destroyVdi(pool, vdi).catch(() => undefined);
    }
    throw error;
  }
}
