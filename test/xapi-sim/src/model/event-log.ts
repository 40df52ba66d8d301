import { XapiDateTime } from './xapi-date-time.js';
import type { XapiRecord } from './xapi-value.js';

/** What happened to an object. */
export type EventOperation = 'add' | 'mod' | 'del';

/** One entry of the pool's event stream, as `event.from` returns it. */
export interface PoolEvent {
  id: number;
  timestamp: string;
  /** Lowercase class name, as XAPI sends it in events (`vm`, `task`). */
  class: string;
  operation: EventOperation;
  ref: string;
  snapshot: XapiRecord;
}

/**
 * The pool's ordered event stream with a bounded memory: a token older than
 * what is retained answers `EVENTS_LOST`, as XAPI does after its queue overflows.
 */
export class EventLog {
  private readonly entries: PoolEvent[] = [];
  private nextId = 1;
  private readonly waiters = new Set<() => void>();

  constructor(private readonly retained = 20_000) {}

  /** Appends an event and wakes every waiting `event.from`. */
  append(className: string, operation: EventOperation, ref: string, snapshot: XapiRecord): PoolEvent {
    const event: PoolEvent = {
      id: this.nextId++,
      timestamp: XapiDateTime.now().toString(),
      class: className.toLowerCase(),
      operation,
      ref,
      snapshot,
    };
    this.entries.push(event);
    if (this.entries.length > this.retained) this.entries.splice(0, this.entries.length - this.retained);
    for (const wake of [...this.waiters]) wake();
    return event;
  }

  /** The id of the newest event (0 when none). */
  get lastId(): number {
    return this.nextId - 1;
  }

  /** Whether events after `id` are all still retained. */
  covers(id: number): boolean {
    const oldest = this.entries[0];
    return oldest === undefined ? id >= this.lastId : id >= oldest.id - 1;
  }

  /** Events with an id greater than `id`. */
  after(id: number): PoolEvent[] {
    const start = this.entries.findIndex((e) => e.id > id);
    return start < 0 ? [] : this.entries.slice(start);
  }

  /** Forgets every retained event, so that older tokens answer `EVENTS_LOST`. */
  drop(): void {
    this.entries.length = 0;
  }

  /** Resolves when an event after `id` arrives, after `timeoutMs`, or when `signal` aborts. */
  waitAfter(id: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.lastId > id || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, timeoutMs));
      this.waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}

/** Formats an event id as an `event.from` token. XAPI tokens are opaque strings. */
export function eventToken(id: number): string {
  return id.toString().padStart(16, '0');
}

/** Parses a token made by {@link eventToken}; `""` means "from the beginning". */
export function parseEventToken(token: string): number | undefined {
  if (token === '') return undefined;
  const first = token.split(',')[0] ?? '';
  return /^\d+$/.test(first) ? Number(first) : Number.NaN;
}
