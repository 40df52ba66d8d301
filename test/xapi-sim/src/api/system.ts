import type { MethodGroup, MethodTable } from './method-table.js';
import { genericAccessorNames } from './generic-accessors.js';

/** `system.*` messages; `listMethods` names every message, generic accessors included. */
export function systemMethods(table: MethodTable): MethodGroup {
  return {
    'system.listMethods': {
      params: [],
      sessionless: true,
      run: (ctx) =>
        [...new Set([...table.names(), ...genericAccessorNames((cls) => ctx.pool.db.all(cls)[0]?.[1])])].sort(),
    },
  };
}
