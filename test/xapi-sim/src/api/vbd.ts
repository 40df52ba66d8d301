import { NULL_REF, newUuid } from '../model/opaque-ref.js';
import { addToRefSet, removeFromRefSet } from '../model/ref-sets.js';
import { XapiFailure } from '../model/xapi-failure.js';
import type { XapiPool } from '../model/xapi-pool.js';
import type { XapiRecord } from '../model/xapi-value.js';
import { boolArg, mapArg, refArg, structArg } from './args.js';
import type { MethodGroup } from './method-table.js';

/** Fields a caller gives when creating a VBD. */
export interface VbdSpec {
  VM: string;
  /** `OpaqueRef:NULL` for an empty CD drive. */
  VDI: string;
  userdevice: string;
  bootable?: boolean;
  mode?: 'RO' | 'RW';
  type?: 'Disk' | 'CD' | 'Floppy';
  empty?: boolean;
  other_config?: Record<string, string>;
}

/** Creates a VBD and links it from its VM and VDI. */
export function createVbd(pool: XapiPool, spec: VbdSpec): string {
  const vm = pool.db.get('VM', spec.VM);
  const type = spec.type ?? 'Disk';
  const record: XapiRecord = {
    uuid: newUuid(),
    allowed_operations: ['attach'],
    current_operations: {},
    VM: spec.VM,
    VDI: spec.VDI,
    device: type === 'Disk' ? `xvd${String.fromCharCode(97 + Number(spec.userdevice) || 97)}` : '',
    userdevice: spec.userdevice,
    bootable: spec.bootable ?? false,
    mode: spec.mode ?? (type === 'CD' ? 'RO' : 'RW'),
    type,
    unpluggable: true,
    storage_lock: false,
    empty: spec.empty ?? spec.VDI === NULL_REF,
    other_config: spec.other_config ?? {},
    currently_attached: vm['power_state'] === 'Running',
    status_code: 0,
    status_detail: '',
    runtime_properties: {},
    qos_algorithm_type: '',
    qos_algorithm_params: {},
    qos_supported_algorithms: [],
    metrics: NULL_REF,
  };
  const ref = pool.db.create('VBD', record);
  addToRefSet(pool.db, 'VM', spec.VM, 'VBDs', ref);
  if (spec.VDI !== NULL_REF) addToRefSet(pool.db, 'VDI', spec.VDI, 'VBDs', ref);
  return ref;
}

/** Destroys a VBD and unlinks it (the VDI stays). */
export function destroyVbd(pool: XapiPool, ref: string): void {
  const vbd = pool.db.get('VBD', ref);
  pool.db.destroy('VBD', ref);
  removeFromRefSet(pool.db, 'VM', vbd['VM'] as string, 'VBDs', ref);
  if (vbd['VDI'] !== NULL_REF) removeFromRefSet(pool.db, 'VDI', vbd['VDI'] as string, 'VBDs', ref);
}

/** `VBD.*` messages. */
export const vbdMethods: MethodGroup = {
  'VBD.create': {
    params: ['args'],
    run: (ctx, [args]) => {
      const r = structArg(args, 'args');
      const vdi = r['VDI'] === undefined || r['VDI'] === NULL_REF ? NULL_REF : refArg(ctx.pool, 'VDI', r['VDI']);
      return createVbd(ctx.pool, {
        VM: refArg(ctx.pool, 'VM', r['VM']),
        VDI: vdi,
        userdevice: String(r['userdevice'] ?? '0'),
        bootable: r['bootable'] === undefined ? false : boolArg(r['bootable'], 'bootable'),
        mode: r['mode'] === 'RO' ? 'RO' : 'RW',
        type: r['type'] === 'CD' ? 'CD' : r['type'] === 'Floppy' ? 'Floppy' : 'Disk',
        empty: r['empty'] === undefined ? undefined : boolArg(r['empty'], 'empty'),
        other_config: mapArg(r['other_config'], 'other_config'),
      });
    },
  },
  'VBD.destroy': {
    params: ['self'],
    run: (ctx, [self]) => {
      const ref = refArg(ctx.pool, 'VBD', self);
      if (ctx.pool.db.get('VBD', ref)['currently_attached'] === true) {
        throw new XapiFailure('OPERATION_NOT_ALLOWED', ['VBD is currently attached']);
      }
      destroyVbd(ctx.pool, ref);
      return '';
    },
  },
};
