import type { Session, XapiPool } from '../model/xapi-pool.js';
import type { XapiValue } from '../model/xapi-value.js';

/** What a method sees of the call it serves. */
export interface CallContext {
  pool: XapiPool;
  /** The host whose endpoint received the call. */
  hostRef: string;
  /** The caller's session (undefined for session-less methods such as login). */
  session: Session | undefined;
  /** The task of an `Async.*` call, if it is one. */
  taskRef?: string;
  /** Aborted when the simulator stops (ends long polls). */
  signal: AbortSignal;
}

/** One XenAPI message the simulator implements. */
export interface MethodSpec {
  /** Parameter names after the session reference, in order. */
  params: readonly string[];
  /** How many trailing parameters may be left out (e.g. `ignore_vdis`). */
  optional?: number;
  /** True for messages that take no session (login, `system.*`). */
  sessionless?: boolean;
  run(ctx: CallContext, args: XapiValue[]): XapiValue | Promise<XapiValue>;
}

/** A map of `Class.message` names to their implementations, one per class file. */
export type MethodGroup = Record<string, MethodSpec>;

/** All messages, looked up with the class part case-insensitively as XAPI does. */
export class MethodTable {
  private readonly byLowerName = new Map<string, [string, MethodSpec]>();

  /** Adds a group of messages. */
  add(group: MethodGroup): this {
    for (const [name, spec] of Object.entries(group)) this.byLowerName.set(lowerClass(name), [name, spec]);
    return this;
  }

  /** The implementation of a message, if the table has it. */
  lookup(name: string): MethodSpec | undefined {
    return this.byLowerName.get(lowerClass(name))?.[1];
  }

  /** Every message name, with its datamodel spelling. */
  names(): string[] {
    return [...this.byLowerName.values()].map(([name]) => name);
  }
}

function lowerClass(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? name : name.slice(0, dot).toLowerCase() + name.slice(dot);
}
