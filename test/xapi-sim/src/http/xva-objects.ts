import { SOFTWARE_VERSION } from '../api/host.js';
import type { OvaObject, OvaVersion } from '../format/ova-xml.js';
import type { XvaDisk } from '../format/xva-writer.js';
import { NULL_REF, isOpaqueRef } from '../model/opaque-ref.js';
import type { XapiClassName } from '../model/pool-database.js';
import type { XapiPool } from '../model/xapi-pool.js';
import { cloneValue, type XapiRecord, type XapiValue } from '../model/xapi-value.js';
import { XapiDateTime } from '../model/xapi-date-time.js';

/** What goes into one VM's XVA: the `ova.xml` objects and the disks with their `Ref:N` ids. */
export interface XvaContent {
  version: OvaVersion;
  objects: OvaObject[];
  disks: XvaDisk[];
}

function rewriteRefs(value: XapiValue, ids: Map<string, string>): XapiValue {
  if (typeof value === 'string') return isOpaqueRef(value) ? (ids.get(value) ?? NULL_REF) : value;
  if (Array.isArray(value)) return value.map((v) => rewriteRefs(v, ids)).filter((v) => v !== NULL_REF);
  if (value instanceof XapiDateTime || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rewriteRefs(v, ids)]));
}

/**
 * Collects a VM's export: the VM, its VBDs, the VDIs of its disks (CD drives
 * carry no data), their SRs, its VIFs and networks, and with
 * `preservePowerState` the suspend VDI. References inside records become
 * `Ref:N` or `OpaqueRef:NULL`, as XAPI writes them.
 */
export function collectXvaContent(pool: XapiPool, vmRef: string, preservePowerState: boolean): XvaContent {
  const vm = pool.db.get('VM', vmRef);
  const entries: [XapiClassName, string][] = [['VM', vmRef]];
  const diskVdis: string[] = [];
  for (const vbd of vm['VBDs'] as string[]) {
    entries.push(['VBD', vbd]);
    const r = pool.db.get('VBD', vbd);
    if (r['type'] === 'Disk' && r['VDI'] !== NULL_REF) diskVdis.push(r['VDI'] as string);
  }
  const suspend = vm['suspend_VDI'] as string;
  if (preservePowerState && suspend !== NULL_REF && pool.db.has('VDI', suspend)) diskVdis.push(suspend);
  const srs = new Set<string>();
  for (const vdi of diskVdis) {
    entries.push(['VDI', vdi]);
    srs.add(pool.db.get('VDI', vdi)['SR'] as string);
  }
  for (const sr of srs) entries.push(['SR', sr]);
  const networks = new Set<string>();
  for (const vif of vm['VIFs'] as string[]) {
    entries.push(['VIF', vif]);
    networks.add(pool.db.get('VIF', vif)['network'] as string);
  }
  for (const network of networks) entries.push(['network', network]);

  const ids = new Map(entries.map(([, ref], i) => [ref, `Ref:${i}`]));
  const objects: OvaObject[] = entries.map(([cls, ref]) => {
    const record: XapiRecord = cloneValue(pool.db.get(cls, ref));
    if (cls === 'VM' && !preservePowerState) {
      record['power_state'] = 'Halted';
      record['suspend_VDI'] = NULL_REF;
    }
    return { class: cls, id: ids.get(ref)!, snapshot: rewriteRefs(record, ids) as XapiRecord };
  });
  return {
    version: {
      hostname: pool.master.address,
      date: new Date().toISOString().slice(0, 10),
      product_version: SOFTWARE_VERSION.product_version,
      product_brand: SOFTWARE_VERSION.product_brand,
      build_number: SOFTWARE_VERSION.build_number,
      xapi_major: 1,
      xapi_minor: 20,
      export_vsn: 2,
    },
    objects,
    disks: diskVdis.map((vdi) => ({ id: ids.get(vdi)!, disk: pool.disks.get(vdi) })),
  };
}
