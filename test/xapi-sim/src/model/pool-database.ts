import { EventLog } from './event-log.js';
import { newOpaqueRef } from './opaque-ref.js';
import { XapiFailure } from './xapi-failure.js';
import { cloneValue, type XapiRecord } from './xapi-value.js';

/** The XAPI classes the simulator keeps objects of, with their datamodel spelling. */
export const XAPI_CLASSES = ['pool', 'host', 'VM', 'VBD', 'VDI', 'SR', 'PBD', 'VIF', 'network', 'task'] as const;

/** A class the simulator keeps objects of. */
export type XapiClassName = (typeof XAPI_CLASSES)[number];

const canonicalByLower = new Map<string, XapiClassName>(XAPI_CLASSES.map((c) => [c.toLowerCase(), c]));

/** The datamodel spelling of a class name given in any case, if it is one the simulator keeps. */
export function canonicalClassName(name: string): XapiClassName | undefined {
  return canonicalByLower.get(name.toLowerCase());
}

/**
 * The pool database: every object by class and reference, and the event
 * stream that every change feeds. The master owns it; slaves only read it.
 */
export class PoolDatabase {
  readonly events = new EventLog();
  private readonly tables = new Map<XapiClassName, Map<string, XapiRecord>>(
    XAPI_CLASSES.map((c) => [c, new Map<string, XapiRecord>()]),
  );
  private readonly classByRef = new Map<string, XapiClassName>();

  /** Stores a new object and emits its `add` event. */
  create(cls: XapiClassName, record: XapiRecord, ref = newOpaqueRef()): string {
    this.table(cls).set(ref, record);
    this.classByRef.set(ref, cls);
    this.events.append(cls, 'add', ref, cloneValue(record));
    return ref;
  }

  /** The live record; throws `HANDLE_INVALID` when there is no such object. */
  get(cls: XapiClassName, ref: string): XapiRecord {
    const record = this.table(cls).get(ref);
    if (record === undefined) throw new XapiFailure('HANDLE_INVALID', [cls, ref]);
    return record;
  }

  /** The live record or undefined. */
  find(cls: XapiClassName, ref: string): XapiRecord | undefined {
    return this.table(cls).get(ref);
  }

  /** Whether `ref` names a live object of `cls`. */
  has(cls: XapiClassName, ref: string): boolean {
    return this.table(cls).has(ref);
  }

  /** Changes an object in place and emits its `mod` event. */
  update(cls: XapiClassName, ref: string, change: (record: XapiRecord) => void): XapiRecord {
    const record = this.get(cls, ref);
    change(record);
    this.events.append(cls, 'mod', ref, cloneValue(record));
    return record;
  }

  /** Emits a `mod` event without a change (what `event.inject` does). */
  touch(cls: XapiClassName, ref: string): void {
    this.events.append(cls, 'mod', ref, cloneValue(this.get(cls, ref)));
  }

  /** Removes an object and emits its `del` event. */
  destroy(cls: XapiClassName, ref: string): void {
    const record = this.get(cls, ref);
    this.table(cls).delete(ref);
    this.classByRef.delete(ref);
    this.events.append(cls, 'del', ref, cloneValue(record));
  }

  /** Every object of a class, as `[ref, record]` pairs. */
  all(cls: XapiClassName): [string, XapiRecord][] {
    return [...this.table(cls).entries()];
  }

  /** How many objects of the class exist. */
  count(cls: XapiClassName): number {
    return this.table(cls).size;
  }

  /** The reference of the object with this UUID; throws `UUID_INVALID`. */
  refByUuid(cls: XapiClassName, uuid: string): string {
    for (const [ref, record] of this.table(cls)) if (record['uuid'] === uuid) return ref;
    throw new XapiFailure('UUID_INVALID', [cls, uuid]);
  }

  /** The class of a live reference, if any. */
  classOf(ref: string): XapiClassName | undefined {
    return this.classByRef.get(ref);
  }

  private table(cls: XapiClassName): Map<string, XapiRecord> {
    const table = this.tables.get(cls);
    if (table === undefined) throw new XapiFailure('MESSAGE_METHOD_UNKNOWN', [cls]);
    return table;
  }
}
