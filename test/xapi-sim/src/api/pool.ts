import { NULL_REF, newUuid } from '../model/opaque-ref.js';
import type { XapiPool } from '../model/xapi-pool.js';
import type { XapiRecord } from '../model/xapi-value.js';
import { refArg } from './args.js';
import type { MethodGroup } from './method-table.js';

/** A fresh `pool` record. */
export function newPoolRecord(masterRef: string): XapiRecord {
  return {
    uuid: newUuid(),
    name_label: 'xapi-sim pool',
    name_description: '',
    master: masterRef,
    default_SR: NULL_REF,
    suspend_image_SR: NULL_REF,
    crash_dump_SR: NULL_REF,
    other_config: {},
    ha_enabled: false,
    tags: [],
    gui_config: {},
    blobs: {},
    wlb_enabled: false,
    restrictions: {},
    allowed_operations: [],
    current_operations: {},
    cpu_info: {},
  };
}

/**
 * Makes `hostRef` the pool master. The old master starts answering
 * `HOST_IS_SLAVE` with the new master's address; sessions live in the pool
 * database and stay valid.
 */
export function designateMaster(pool: XapiPool, hostRef: string): void {
  pool.db.update('pool', pool.poolRef, (p) => {
    p['master'] = hostRef;
  });
}

/** `pool.*` messages beyond the generic accessors. */
export const poolMethods: MethodGroup = {
  'pool.designate_new_master': {
    params: ['host'],
    run: (ctx, [host]) => {
      designateMaster(ctx.pool, refArg(ctx.pool, 'host', host));
      return '';
    },
  },
};
