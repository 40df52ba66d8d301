import type { PoolDatabase, XapiClassName } from './pool-database.js';

/** Adds `value` to the set-of-refs field `field` of an object (a back-reference such as `VM.VBDs`). */
export function addToRefSet(db: PoolDatabase, cls: XapiClassName, ref: string, field: string, value: string): void {
  if (!db.has(cls, ref)) return;
  db.update(cls, ref, (r) => {
    const set = r[field] as string[];
    if (!set.includes(value)) set.push(value);
  });
}

/** Removes `value` from the set-of-refs field `field` of an object, if the object still exists. */
export function removeFromRefSet(
  db: PoolDatabase,
  cls: XapiClassName,
  ref: string,
  field: string,
  value: string,
): void {
  if (!db.has(cls, ref)) return;
  db.update(cls, ref, (r) => {
    r[field] = (r[field] as string[]).filter((v) => v !== value);
  });
}
