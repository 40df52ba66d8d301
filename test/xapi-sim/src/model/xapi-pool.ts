import { FaultBoard } from '../faults/fault-board.js';
import type { QuiesceBehaviour } from '../faults/xapi-fault.js';
import type { DiskStore } from '../storage/disk-store.js';
import { newOpaqueRef, newUuid } from './opaque-ref.js';
import { PoolDatabase } from './pool-database.js';
import { XapiFailure } from './xapi-failure.js';

/** One pool member as the simulator runs it: a XAPI reference and a loopback address. */
export interface SimulatedHost {
  ref: string;
  index: number;
  /** The host's management address, what `HOST_IS_SLAVE` names and `host.address` holds. */
  address: string;
  /** False while a `host-down` fault keeps it unreachable. */
  up: boolean;
}

/** A logged-in session. Sessions are pool-wide, as in XAPI's database. */
export interface Session {
  ref: string;
  uuid: string;
  user: string;
  /** The host the session was opened on (`session.get_this_host`). */
  hostRef: string;
  originator: string;
}

/** Behaviour switches of a simulated pool. */
export interface PoolBehaviour {
  /** How `VM.snapshot_with_quiesce` answers. */
  quiesce: QuiesceBehaviour;
  /** Whether `VM.snapshot` takes the `ignore_vdis` parameter (xapi ≥ 21.4). */
  snapshotIgnoreVdis: boolean;
  /** Delay before an `Async.*` task completes, in ms. */
  asyncTaskDelayMs: number;
}

/**
 * The whole simulated pool: its database, disk contents, sessions, hosts,
 * pending faults and behaviour switches. RPC methods and HTTP handlers act on it.
 */
export class XapiPool {
  readonly db = new PoolDatabase();
  readonly faults = new FaultBoard();
  readonly sessions = new Map<string, Session>();
  readonly hosts: SimulatedHost[] = [];
  poolRef = '';
  port = 0;
  /** `https` when the hosts serve TLS. */
  scheme: 'http' | 'https' = 'http';

  constructor(
    readonly disks: DiskStore,
    readonly credentials: { username: string; password: string },
    readonly behaviour: PoolBehaviour,
  ) {}

  /** The master's host reference. */
  get masterRef(): string {
    return this.db.get('pool', this.poolRef)['master'] as string;
  }

  /** The master's simulated host. */
  get master(): SimulatedHost {
    return this.hostByRef(this.masterRef);
  }

  /** The simulated host with this reference. */
  hostByRef(ref: string): SimulatedHost {
    const host = this.hosts.find((h) => h.ref === ref);
    if (host === undefined) throw new XapiFailure('HANDLE_INVALID', ['host', ref]);
    return host;
  }

  /** The simulated host at this index (as given to `startXapiSimulator`). */
  hostAt(index: number): SimulatedHost {
    const host = this.hosts[index];
    if (host === undefined) throw new RangeError(`no host at index ${index}`);
    return host;
  }

  /** Base URL of a host's HTTP server. */
  urlOf(host: SimulatedHost): string {
    return `${this.scheme}://${host.address}:${this.port}`;
  }

  /** Opens a session for a user on a host. */
  openSession(user: string, hostRef: string, originator = ''): Session {
    const session: Session = { ref: newOpaqueRef(), uuid: newUuid(), user, hostRef, originator };
    this.sessions.set(session.ref, session);
    return session;
  }

  /** The session with this reference; throws `SESSION_INVALID`. */
  requireSession(ref: unknown): Session {
    const session = typeof ref === 'string' ? this.sessions.get(ref) : undefined;
    if (session === undefined) throw new XapiFailure('SESSION_INVALID', [String(ref)]);
    return session;
  }
}
