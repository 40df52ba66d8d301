import { canonicalClassName, XAPI_CLASSES, type XapiClassName } from '../model/pool-database.js';
import { eventToken, parseEventToken, type PoolEvent } from '../model/event-log.js';
import { XapiFailure } from '../model/xapi-failure.js';
import type { XapiPool } from '../model/xapi-pool.js';
import { cloneValue, type XapiValue } from '../model/xapi-value.js';
import { refArg, stringArg } from './args.js';
import type { MethodGroup } from './method-table.js';

/** Which events a subscription wants: `*`, a class, or `class/ref`. */
interface EventFilter {
  all: boolean;
  classes: Set<string>;
  refs: Set<string>;
}

function parseFilter(value: XapiValue | undefined): EventFilter {
  if (!Array.isArray(value)) throw new XapiFailure('FIELD_TYPE_ERROR', ['classes']);
  const filter: EventFilter = { all: false, classes: new Set(), refs: new Set() };
  for (const item of value.map(String)) {
    if (item === '*') filter.all = true;
    else if (item.includes('/')) filter.refs.add(item.slice(item.indexOf('/') + 1));
    else filter.classes.add(item.toLowerCase());
  }
  return filter;
}

function matches(filter: EventFilter, event: PoolEvent): boolean {
  return filter.all || filter.classes.has(event.class) || filter.refs.has(event.ref);
}

function validRefCounts(pool: XapiPool, filter: EventFilter): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const cls of XAPI_CLASSES) {
    if (filter.all || filter.classes.has(cls.toLowerCase())) counts[cls.toLowerCase()] = pool.db.count(cls);
  }
  return counts;
}

/** The wire shape of an event: XAPI sends the id as a number and the rest as strings. */
function wireEvent(event: PoolEvent): XapiValue {
  return {
    id: event.id,
    timestamp: event.timestamp,
    class: event.class,
    operation: event.operation,
    ref: event.ref,
    snapshot: event.snapshot,
  };
}

/** Keeps only the newest event per object, as XAPI's `event.from` coalesces. */
function coalesce(events: PoolEvent[]): PoolEvent[] {
  const latest = new Map<string, PoolEvent>();
  for (const e of events) {
    latest.delete(e.ref);
    latest.set(e.ref, e);
  }
  return [...latest.values()];
}

/**
 * `event.from(classes, token, timeout)`: events since `token`, waiting up to
 * `timeout` seconds for one; `""` returns every current object as `add`.
 */
export async function eventFrom(
  pool: XapiPool,
  classes: XapiValue | undefined,
  token: string,
  timeoutSeconds: number,
  signal: AbortSignal,
): Promise<XapiValue> {
  const filter = parseFilter(classes);
  if (pool.faults.takeEventsLost()) {
    pool.db.events.drop();
    throw new XapiFailure('EVENTS_LOST', []);
  }
  const since = parseEventToken(token);
  if (since !== undefined && Number.isNaN(since)) throw new XapiFailure('EVENT_FROM_TOKEN_PARSE_FAILURE', [token]);
  if (since === undefined) {
    const events: XapiValue[] = [];
    const last = pool.db.events.lastId;
    for (const cls of XAPI_CLASSES) {
      for (const [ref, record] of pool.db.all(cls)) {
        const e: PoolEvent = {
          id: last,
          timestamp: '',
          class: cls.toLowerCase(),
          operation: 'add',
          ref,
          snapshot: cloneValue(record),
        };
        if (matches(filter, e)) events.push(wireEvent(e));
      }
    }
    return { events, valid_ref_counts: validRefCounts(pool, filter), token: eventToken(last) };
  }
  if (!pool.db.events.covers(since)) throw new XapiFailure('EVENTS_LOST', []);
  const deadline = Date.now() + Math.max(0, timeoutSeconds) * 1000;
  let seen = since;
  let found: PoolEvent[] = [];
  for (;;) {
    const fresh = pool.db.events.after(seen);
    seen = pool.db.events.lastId;
    found = found.concat(fresh.filter((e) => matches(filter, e)));
    if (found.length > 0 || Date.now() >= deadline || signal.aborted) break;
    await pool.db.events.waitAfter(seen, deadline - Date.now(), signal);
  }
  return {
    events: coalesce(found).map(wireEvent),
    valid_ref_counts: validRefCounts(pool, filter),
    token: eventToken(seen),
  };
}

/** Per-session subscriptions of the legacy `event.register` / `event.next` API. */
const legacySubscriptions = new Map<string, { filter: EventFilter; position: number }>();

/** `event.*` messages. */
export const eventMethods: MethodGroup = {
  'event.from': {
    params: ['classes', 'token', 'timeout'],
    run: (ctx, [classes, token, timeout]) =>
      eventFrom(ctx.pool, classes, stringArg(token, 'token'), Number(timeout), ctx.signal),
  },
  'event.inject': {
    params: ['class', 'ref'],
    run: (ctx, [cls, ref]) => {
      const name: XapiClassName | undefined = canonicalClassName(stringArg(cls, 'class'));
      if (name === undefined) throw new XapiFailure('HANDLE_INVALID', [String(cls), String(ref)]);
      ctx.pool.db.touch(name, refArg(ctx.pool, name, ref));
      return eventToken(ctx.pool.db.events.lastId);
    },
  },
  'event.get_current_id': {
    params: [],
    run: (ctx) => ctx.pool.db.events.lastId,
  },
  'event.register': {
    params: ['classes'],
    run: (ctx, [classes]) => {
      legacySubscriptions.set(ctx.session!.ref, { filter: parseFilter(classes), position: ctx.pool.db.events.lastId });
      return '';
    },
  },
  'event.unregister': {
    params: ['classes'],
    run: (ctx) => {
      legacySubscriptions.delete(ctx.session!.ref);
      return '';
    },
  },
  'event.next': {
    params: [],
    run: async (ctx) => {
      const sub = legacySubscriptions.get(ctx.session!.ref);
      if (sub === undefined) throw new XapiFailure('SESSION_NOT_REGISTERED', [ctx.session!.ref]);
      for (;;) {
        if (!ctx.pool.db.events.covers(sub.position)) throw new XapiFailure('EVENTS_LOST', []);
        const fresh = ctx.pool.db.events.after(sub.position).filter((e) => matches(sub.filter, e));
        sub.position = ctx.pool.db.events.lastId;
        if (fresh.length > 0 || ctx.signal.aborted) return fresh.map(wireEvent);
        await ctx.pool.db.events.waitAfter(sub.position, 30_000, ctx.signal);
      }
    },
  },
};
