import { XapiFailure } from '../model/xapi-failure.js';
import type { XapiRecord, XapiValue } from '../model/xapi-value.js';
import { encodeXmlRpcValue, parseXmlRpcValue } from '../rpc/xml-rpc-codec.js';

/** One object of an XVA's `ova.xml`: its class, its `Ref:N` id and its record. */
export interface OvaObject {
  class: string;
  id: string;
  snapshot: XapiRecord;
}

/** The `version` struct of `ova.xml`; `export_vsn` 2 is the format with chunked disks. */
export interface OvaVersion {
  hostname: string;
  date: string;
  product_version: string;
  product_brand: string;
  build_number: string;
  xapi_major: number;
  xapi_minor: number;
  export_vsn: number;
}

/** `ova.xml`: an XML-RPC struct with `version` and `objects`. */
export function buildOvaXml(version: OvaVersion, objects: readonly OvaObject[]): string {
  const value: XapiValue = {
    version: { ...version },
    objects: objects.map((o) => ({ class: o.class, id: o.id, snapshot: o.snapshot })),
  };
  return encodeXmlRpcValue(value);
}

/** Parses `ova.xml`; throws `IMPORT_ERROR` when it is not the expected struct. */
export function parseOvaXml(xml: string): { version: XapiRecord; objects: OvaObject[] } {
  let value: XapiValue;
  try {
    value = parseXmlRpcValue(xml);
  } catch (error) {
    throw new XapiFailure('IMPORT_ERROR', [`ova.xml: ${(error as Error).message}`]);
  }
  const root = value as XapiRecord;
  const objects = root['objects'];
  if (!Array.isArray(objects)) throw new XapiFailure('IMPORT_ERROR', ['ova.xml has no objects']);
  return {
    version: (root['version'] ?? {}) as XapiRecord,
    objects: objects.map((o) => {
      const r = o as XapiRecord;
      return { class: String(r['class']), id: String(r['id']), snapshot: (r['snapshot'] ?? {}) as XapiRecord };
    }),
  };
}
