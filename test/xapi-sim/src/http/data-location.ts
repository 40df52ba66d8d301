import { NULL_REF } from '../model/opaque-ref.js';
import type { SimulatedHost, XapiPool } from '../model/xapi-pool.js';

/** The host that must serve a VDI's data: the owner of its local SR, or undefined for a shared SR. */
export function hostServingVdi(pool: XapiPool, vdiRef: string): SimulatedHost | undefined {
  const sr = pool.db.get('SR', pool.db.get('VDI', vdiRef)['SR'] as string);
  if (sr['shared'] === true) return undefined;
  const pbd = (sr['PBDs'] as string[])[0];
  const host = pbd === undefined ? undefined : (pool.db.find('PBD', pbd)?.['host'] as string | undefined);
  return host === undefined || host === NULL_REF ? undefined : pool.hostByRef(host);
}

/** The host that must serve a VM's disks (the first local SR's owner), or undefined when all are shared. */
export function hostServingVm(pool: XapiPool, vmRef: string): SimulatedHost | undefined {
  for (const vbd of pool.db.get('VM', vmRef)['VBDs'] as string[]) {
    const vdi = pool.db.get('VBD', vbd)['VDI'] as string;
    if (vdi === NULL_REF || !pool.db.has('VDI', vdi)) continue;
    const host = hostServingVdi(pool, vdi);
    if (host !== undefined) return host;
  }
  return undefined;
}
