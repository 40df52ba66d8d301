import type { XapiClassName } from '../model/pool-database.js';
import { XapiFailure } from '../model/xapi-failure.js';
import type { XapiPool } from '../model/xapi-pool.js';
import type { XapiRecord, XapiValue } from '../model/xapi-value.js';

/** A string parameter; XAPI answers `FIELD_TYPE_ERROR` for another type. */
export function stringArg(value: XapiValue | undefined, name: string): string {
  if (typeof value !== 'string') throw new XapiFailure('FIELD_TYPE_ERROR', [name]);
  return value;
}

/** A boolean parameter (XML-RPC clients may send "true"/"false"). */
export function boolArg(value: XapiValue | undefined, name: string): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new XapiFailure('FIELD_TYPE_ERROR', [name]);
}

/** An integer parameter; 64-bit ints come as strings over XML-RPC. */
export function intArg(value: XapiValue | undefined, name: string): number {
  const n = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new XapiFailure('FIELD_TYPE_ERROR', [name]);
  return n;
}

/** A struct parameter. */
export function structArg(value: XapiValue | undefined, name: string): XapiRecord {
  if (value === undefined || typeof value !== 'object' || Array.isArray(value) || value.constructor !== Object) {
    throw new XapiFailure('FIELD_TYPE_ERROR', [name]);
  }
  return value as XapiRecord;
}

/** A string-to-string map parameter. */
export function mapArg(value: XapiValue | undefined, name: string): Record<string, string> {
  const struct = structArg(value ?? {}, name);
  return Object.fromEntries(Object.entries(struct).map(([k, v]) => [k, String(v)]));
}

/** A reference parameter that must name a live object of `cls`; else `HANDLE_INVALID`. */
export function refArg(pool: XapiPool, cls: XapiClassName, value: XapiValue | undefined): string {
  const ref = typeof value === 'string' ? value : String(value);
  if (!pool.db.has(cls, ref)) throw new XapiFailure('HANDLE_INVALID', [cls, ref]);
  return ref;
}
