import type { XapiDateTime } from './xapi-date-time.js';

/** Any value a XAPI record field or call parameter can hold. */
export type XapiValue = string | number | boolean | XapiDateTime | XapiValue[] | { [key: string]: XapiValue };

/** One object's fields, as `<Class>.get_record` returns them. */
export type XapiRecord = { [field: string]: XapiValue };

/** A deep copy of a value (datetimes are immutable and shared). */
export function cloneValue<T extends XapiValue>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => cloneValue(v)) as T;
  if (value !== null && typeof value === 'object' && value.constructor === Object) {
    const out: { [key: string]: XapiValue } = {};
    for (const [k, v] of Object.entries(value)) out[k] = cloneValue(v as XapiValue);
    return out as T;
  }
  return value;
}
