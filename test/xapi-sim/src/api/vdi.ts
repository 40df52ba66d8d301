import { NULL_REF, newUuid } from '../model/opaque-ref.js';
import { addToRefSet, removeFromRefSet } from '../model/ref-sets.js';
import { XapiDateTime } from '../model/xapi-date-time.js';
import { XapiFailure } from '../model/xapi-failure.js';
import type { XapiPool } from '../model/xapi-pool.js';
import type { XapiRecord } from '../model/xapi-value.js';
import { CBT_BLOCK_SIZE } from '../storage/change-chain.js';
import type { DiskContent } from '../storage/disk-store.js';
import { ALLOCATION_BLOCK_SIZE } from '../storage/virtual-disk.js';
import { boolArg, intArg, mapArg, refArg, stringArg, structArg } from './args.js';
import type { MethodGroup } from './method-table.js';
import { destroyVbd } from './vbd.js';

/** Fields a caller gives when creating a VDI. */
export interface VdiSpec {
  SR: string;
  virtual_size: number;
  name_label?: string;
  name_description?: string;
  type?: 'user' | 'system' | 'suspend' | 'crashdump' | 'cbt_metadata';
  sharable?: boolean;
  read_only?: boolean;
  other_config?: Record<string, string>;
  sm_config?: Record<string, string>;
  tags?: string[];
}

function newVdiRecord(spec: VdiSpec): XapiRecord {
  const uuid = newUuid();
  return {
    uuid,
    name_label: spec.name_label ?? '',
    name_description: spec.name_description ?? '',
    allowed_operations: [
      'clone',
      'snapshot',
      'destroy',
      'copy',
      'enable_cbt',
      'disable_cbt',
      'data_destroy',
      'list_changed_blocks',
    ],
    current_operations: {},
    SR: spec.SR,
    VBDs: [],
    crash_dumps: [],
    virtual_size: spec.virtual_size,
    physical_utilisation: 0,
    type: spec.type ?? 'user',
    sharable: spec.sharable ?? false,
    read_only: spec.read_only ?? false,
    other_config: spec.other_config ?? {},
    storage_lock: false,
    location: uuid,
    managed: true,
    missing: false,
    parent: NULL_REF,
    xenstore_data: {},
    sm_config: spec.sm_config ?? {},
    is_a_snapshot: false,
    snapshot_of: NULL_REF,
    snapshots: [],
    snapshot_time: new XapiDateTime(new Date(0)),
    tags: spec.tags ?? [],
    allow_caching: false,
    on_boot: 'persist',
    metadata_of_pool: NULL_REF,
    metadata_latest: false,
    is_tools_iso: false,
    cbt_enabled: false,
  };
}

/** Recomputes `physical_utilisation` from the disk's allocated blocks. */
export function refreshUtilisation(pool: XapiPool, vdiRef: string): void {
  const disk = pool.disks.find(vdiRef);
  const used = disk === undefined ? 0 : disk.allocated.reduce((n, b) => n + b, 0) * ALLOCATION_BLOCK_SIZE;
  pool.db.update('VDI', vdiRef, (r) => {
    r['physical_utilisation'] = Math.min(used, Number(r['virtual_size']));
  });
}

/** Creates a VDI with a content file and links it from its SR. */
export async function createVdi(pool: XapiPool, spec: VdiSpec, content: DiskContent = 'zeros'): Promise<string> {
  const ref = pool.db.create('VDI', newVdiRecord(spec));
  await pool.disks.createDisk(ref, spec.virtual_size, content);
  addToRefSet(pool.db, 'SR', spec.SR, 'VDIs', ref);
  refreshUtilisation(pool, ref);
  return ref;
}

/** Snapshots a VDI: a frozen copy sharing the source's change chain. */
export async function snapshotVdi(pool: XapiPool, sourceRef: string): Promise<string> {
  const source = pool.db.get('VDI', sourceRef);
  if (source['type'] === 'cbt_metadata') throw new XapiFailure('VDI_INCOMPATIBLE_TYPE', [sourceRef, 'cbt_metadata']);
  const record: XapiRecord = {
    ...newVdiRecord({
      SR: source['SR'] as string,
      virtual_size: source['virtual_size'] as number,
      name_label: source['name_label'] as string,
      name_description: source['name_description'] as string,
      type: source['type'] as VdiSpec['type'],
      sharable: source['sharable'] as boolean,
      other_config: { ...(source['other_config'] as Record<string, string>) },
      sm_config: { ...(source['sm_config'] as Record<string, string>) },
      tags: [...(source['tags'] as string[])],
    }),
    is_a_snapshot: true,
    snapshot_of: sourceRef,
    snapshot_time: XapiDateTime.now(),
    cbt_enabled: source['cbt_enabled'] as boolean,
  };
  const ref = pool.db.create('VDI', record);
  await pool.disks.snapshotDisk(sourceRef, ref);
  addToRefSet(pool.db, 'SR', record['SR'] as string, 'VDIs', ref);
  addToRefSet(pool.db, 'VDI', sourceRef, 'snapshots', ref);
  refreshUtilisation(pool, ref);
  return ref;
}

/** Clones a VDI: a writable copy with its own history. */
export async function cloneVdi(pool: XapiPool, sourceRef: string): Promise<string> {
  const source = pool.db.get('VDI', sourceRef);
  const ref = pool.db.create(
    'VDI',
    newVdiRecord({
      SR: source['SR'] as string,
      virtual_size: source['virtual_size'] as number,
      name_label: source['name_label'] as string,
      name_description: source['name_description'] as string,
      type: source['type'] as VdiSpec['type'],
      other_config: { ...(source['other_config'] as Record<string, string>) },
    }),
  );
  await pool.disks.cloneDisk(sourceRef, ref);
  addToRefSet(pool.db, 'SR', source['SR'] as string, 'VDIs', ref);
  refreshUtilisation(pool, ref);
  return ref;
}

/** Whether any VBD of the VDI is attached to a running VM. */
function isAttached(pool: XapiPool, vdiRef: string): boolean {
  const vbds = pool.db.get('VDI', vdiRef)['VBDs'] as string[];
  return vbds.some((vbd) => pool.db.find('VBD', vbd)?.['currently_attached'] === true);
}

/** Destroys a VDI, its content and the (detached) VBDs that point at it. */
export async function destroyVdi(pool: XapiPool, ref: string): Promise<void> {
  const vdi = pool.db.get('VDI', ref);
  if (isAttached(pool, ref)) throw new XapiFailure('VDI_IN_USE', [ref, 'destroy']);
  for (const vbd of [...(vdi['VBDs'] as string[])]) if (pool.db.has('VBD', vbd)) destroyVbd(pool, vbd);
  pool.db.destroy('VDI', ref);
  removeFromRefSet(pool.db, 'SR', vdi['SR'] as string, 'VDIs', ref);
  if (vdi['snapshot_of'] !== NULL_REF) removeFromRefSet(pool.db, 'VDI', vdi['snapshot_of'] as string, 'snapshots', ref);
  for (const snap of vdi['snapshots'] as string[]) {
    if (pool.db.has('VDI', snap)) pool.db.update('VDI', snap, (r) => (r['snapshot_of'] = NULL_REF));
  }
  await pool.disks.removeDisk(ref);
}

/**
 * The CBT bitmap between two VDIs of one chain: one bit per 64 KiB block,
 * most significant bit first, base64 as `VDI.list_changed_blocks` returns it.
 */
export function changedBlocksBitmap(pool: XapiPool, fromRef: string, toRef: string): string {
  const from = pool.db.get('VDI', fromRef);
  const to = pool.db.get('VDI', toRef);
  if (from['cbt_enabled'] !== true) throw new XapiFailure('VDI_NO_CBT_METADATA', [fromRef]);
  if (to['cbt_enabled'] !== true) throw new XapiFailure('VDI_NO_CBT_METADATA', [toRef]);
  const a = pool.disks.changeState(fromRef);
  const b = pool.disks.changeState(toRef);
  const unrelated = new XapiFailure('SR_BACKEND_FAILURE_460', [
    '',
    'Failed to calculate changed blocks for given VDIs. [opterr=Source and target VDI are unrelated]',
    '',
  ]);
  if (a === undefined || b === undefined || a.chain !== b.chain || a.point > b.point) throw unrelated;
  const enabledAt = a.chain.cbtEnabledAt;
  if (enabledAt === undefined || enabledAt > a.point) throw new XapiFailure('VDI_NO_CBT_METADATA', [fromRef]);
  const blocks = Math.ceil(Number(to['virtual_size']) / CBT_BLOCK_SIZE);
  const bitmap = Buffer.alloc(Math.ceil(blocks / 8));
  for (const block of a.chain.changedBlocks(a.point, b.point, CBT_BLOCK_SIZE)) {
    if (block < blocks) bitmap[block >> 3]! |= 0x80 >> (block & 7);
  }
  return bitmap.toString('base64');
}

function setCbt(pool: XapiPool, ref: string, enabled: boolean): void {
  const vdi = pool.db.get('VDI', ref);
  if (vdi['is_a_snapshot'] === true) throw new XapiFailure('VDI_IS_A_SNAPSHOT', [ref]);
  const state = pool.disks.changeState(ref);
  if (state === undefined) throw new XapiFailure('VDI_NO_CBT_METADATA', [ref]);
  if (enabled) state.chain.enableCbt();
  else state.chain.disableCbt();
  pool.db.update('VDI', ref, (r) => (r['cbt_enabled'] = enabled));
  if (!enabled) {
    for (const snap of vdi['snapshots'] as string[]) pool.db.update('VDI', snap, (r) => (r['cbt_enabled'] = false));
  }
}

/** Reads a VDI spec out of a `VDI.create` record argument. */
function vdiSpecFromArgs(pool: XapiPool, r: XapiRecord): VdiSpec {
  const type = String(r['type'] ?? 'user');
  return {
    SR: refArg(pool, 'SR', r['SR']),
    virtual_size: intArg(r['virtual_size'], 'virtual_size'),
    name_label: r['name_label'] === undefined ? '' : stringArg(r['name_label'], 'name_label'),
    name_description: r['name_description'] === undefined ? '' : stringArg(r['name_description'], 'name_description'),
    type: (['user', 'system', 'suspend', 'crashdump'].includes(type) ? type : 'user') as VdiSpec['type'],
    sharable: r['sharable'] === undefined ? false : boolArg(r['sharable'], 'sharable'),
    read_only: r['read_only'] === undefined ? false : boolArg(r['read_only'], 'read_only'),
    other_config: mapArg(r['other_config'], 'other_config'),
    sm_config: mapArg(r['sm_config'], 'sm_config'),
    tags: Array.isArray(r['tags']) ? r['tags'].map(String) : [],
  };
}

/** `VDI.*` messages. */
export const vdiMethods: MethodGroup = {
  'VDI.create': {
    params: ['args'],
    run: (ctx, [args]) => createVdi(ctx.pool, vdiSpecFromArgs(ctx.pool, structArg(args, 'args'))),
  },
  'VDI.destroy': {
    params: ['self'],
    run: async (ctx, [self]) => {
      await destroyVdi(ctx.pool, refArg(ctx.pool, 'VDI', self));
      return '';
    },
  },
  'VDI.snapshot': {
    params: ['vdi', 'driver_params'],
    optional: 1,
    run: (ctx, [vdi]) => snapshotVdi(ctx.pool, refArg(ctx.pool, 'VDI', vdi)),
  },
  'VDI.clone': {
    params: ['vdi', 'driver_params'],
    optional: 1,
    run: (ctx, [vdi]) => cloneVdi(ctx.pool, refArg(ctx.pool, 'VDI', vdi)),
  },
  'VDI.enable_cbt': {
    params: ['self'],
    run: (ctx, [self]) => {
      setCbt(ctx.pool, refArg(ctx.pool, 'VDI', self), true);
      return '';
    },
  },
  'VDI.disable_cbt': {
    params: ['self'],
    run: (ctx, [self]) => {
      setCbt(ctx.pool, refArg(ctx.pool, 'VDI', self), false);
      return '';
    },
  },
  'VDI.data_destroy': {
    params: ['self'],
    run: async (ctx, [self]) => {
      const ref = refArg(ctx.pool, 'VDI', self);
      const vdi = ctx.pool.db.get('VDI', ref);
      if (vdi['cbt_enabled'] !== true) throw new XapiFailure('VDI_NO_CBT_METADATA', [ref]);
      if (vdi['is_a_snapshot'] !== true) throw new XapiFailure('VDI_NOT_A_SNAPSHOT', [ref]);
      if (isAttached(ctx.pool, ref)) throw new XapiFailure('VDI_IN_USE', [ref, 'data_destroy']);
      await ctx.pool.disks.removeDisk(ref, { keepMetadata: true });
      ctx.pool.db.update('VDI', ref, (r) => {
        r['type'] = 'cbt_metadata';
        r['physical_utilisation'] = 0;
      });
      return '';
    },
  },
  'VDI.list_changed_blocks': {
    params: ['vdi_from', 'vdi_to'],
    run: (ctx, [from, to]) => changedBlocksBitmap(ctx.pool, refArg(ctx.pool, 'VDI', from), refArg(ctx.pool, 'VDI', to)),
  },
  'VDI.get_nbd_info': {
    params: ['self'],
    // No network has the `nbd` purpose in the simulator, so XAPI's answer is empty.
    run: (ctx, [self]) => {
      refArg(ctx.pool, 'VDI', self);
      return [];
    },
  },
};
