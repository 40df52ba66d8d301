import { randomUUID } from 'node:crypto';

/** The null reference XAPI uses for unset reference fields. */
export const NULL_REF = 'OpaqueRef:NULL';

/** A new opaque reference, `OpaqueRef:<uuid>` as XAPI prints them. */
export function newOpaqueRef(): string {
  return `OpaqueRef:${randomUUID()}`;
}

/** A new object UUID. */
export function newUuid(): string {
  return randomUUID();
}

/** Whether a string looks like an opaque reference (not its validity). */
export function isOpaqueRef(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith('OpaqueRef:');
}
