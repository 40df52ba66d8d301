import { XapiFailure } from './xapi-failure.js';
import type { XapiPool } from './xapi-pool.js';

/** A VM reference from a reference, a UUID or a name label (test-side lookups). */
export function findVm(pool: XapiPool, key: string): string {
  if (pool.db.has('VM', key)) return key;
  for (const [ref, r] of pool.db.all('VM')) {
    if (r['uuid'] === key || (r['name_label'] === key && r['is_a_snapshot'] !== true)) return ref;
  }
  throw new XapiFailure('UUID_INVALID', ['VM', key]);
}
