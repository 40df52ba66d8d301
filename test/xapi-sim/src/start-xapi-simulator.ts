import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { QuiesceBehaviour, XapiFault } from './faults/xapi-fault.js';
import { createHostServer, type TlsIdentity } from './http/host-server.js';
import { XapiPool } from './model/xapi-pool.js';
import { RpcDispatcher } from './rpc/rpc-dispatcher.js';
import { seedPool, type SimulatedVmOptions } from './seed-pool.js';
import { SimulatorControl } from './simulator-control.js';
import { DiskStore } from './storage/disk-store.js';

/** How to start a simulated pool. */
export interface XapiSimulatorOptions {
  /** Number of pool members (default 2). Host 0 starts as master. */
  hosts?: number;
  vms?: SimulatedVmOptions[];
  /** Default `root`. */
  username?: string;
  password: string;
  /** How `VM.snapshot_with_quiesce` answers (default `supported`). */
  quiesce?: QuiesceBehaviour;
  /** Whether `VM.snapshot` accepts `ignore_vdis` (default true, as xapi ≥ 21.4). */
  snapshotIgnoreVdis?: boolean;
  /** Delay before an `Async.*` task completes (default 20 ms). */
  asyncTaskDelayMs?: number;
  /** Serve HTTPS with this certificate, as XenServer does by default (plain HTTP without it). */
  tls?: TlsIdentity;
}

/** A running simulated pool. */
export interface XapiSimulator {
  /** The master's base URL, e.g. `http://127.0.0.1:40123` (`https:` with `tls`). */
  url: string;
  /** Every member's base URL by host index: `http://127.0.0.<i+1>:<port>` (`https:` with `tls`). */
  hostUrls: string[];
  username: string;
  password: string;
  /** Test-side access to objects and disks. */
  state: SimulatorControl;
  /** Injects a fault (see {@link XapiFault}). */
  inject(fault: XapiFault): void;
  /** Stops every server, ends pending polls and removes the disk files. */
  stop(): Promise<void>;
}

function listen(server: Server, address: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen(port, address, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/**
 * Starts a simulated XAPI pool on loopback. Each host listens on its own
 * loopback address (127.0.0.1 for host 0, 127.0.0.2 for host 1, …) and one
 * shared free port, because `HOST_IS_SLAVE` names only an address and
 * clients retry it on the same port.
 *
 * @example
 * const sim = await startXapiSimulator({ password: 'secret', vms: [{ name: 'web', disks: [{ sizeBytes: 8 << 20 }] }] });
 * try { ... fetch(`${sim.url}/jsonrpc`, ...) } finally { await sim.stop(); }
 */
export async function startXapiSimulator(options: XapiSimulatorOptions): Promise<XapiSimulator> {
  const hostCount = options.hosts ?? 2;
  if (hostCount < 1 || hostCount > 250) throw new RangeError('hosts must be between 1 and 250');
  const disks = await DiskStore.create();
  const username = options.username ?? 'root';
  const pool = new XapiPool(
    disks,
    { username, password: options.password },
    {
      quiesce: options.quiesce ?? 'supported',
      snapshotIgnoreVdis: options.snapshotIgnoreVdis ?? true,
      asyncTaskDelayMs: options.asyncTaskDelayMs ?? 20,
    },
  );
  if (options.tls) pool.scheme = 'https';
  const addresses = Array.from({ length: hostCount }, (_, i) => `127.0.0.${i + 1}`);
  const aborter = new AbortController();
  const servers: Server[] = [];
  try {
    await seedPool(pool, addresses, options.vms ?? []);
    const dispatcher = new RpcDispatcher(pool, aborter.signal);
    for (let attempt = 0; ; attempt++) {
      servers.length = 0;
      try {
        let port = 0;
        for (const host of pool.hosts) {
          const server = createHostServer(pool, host, dispatcher, options.tls);
          servers.push(server);
          port = await listen(server, host.address, port);
        }
        pool.port = port;
        break;
      } catch (error) {
        await Promise.all(servers.map(close));
        if (attempt >= 20) throw error;
      }
    }
  } catch (error) {
    aborter.abort();
    await disks.dispose();
    throw error;
  }

  const setHostUp = async (index: number, up: boolean): Promise<void> => {
    const host = pool.hostAt(index);
    host.up = up;
    if (up) await listen(servers[index]!, host.address, pool.port);
    else await close(servers[index]!);
  };
  const state = new SimulatorControl(pool);
  return {
    url: pool.urlOf(pool.hostAt(0)),
    hostUrls: pool.hosts.map((h) => pool.urlOf(h)),
    username,
    password: options.password,
    state,
    inject(fault) {
      switch (fault.kind) {
        case 'sessions-invalidated':
          pool.sessions.clear();
          break;
        case 'master-change':
          state.setMaster(fault.toHost);
          break;
        case 'quiesce':
          pool.behaviour.quiesce = fault.behaviour;
          break;
        case 'host-down':
        case 'host-up':
          void setHostUp(fault.host, fault.kind === 'host-up');
          break;
        default:
          pool.faults.add(fault);
      }
    },
    async stop() {
      aborter.abort();
      await Promise.all(servers.map(close));
      await disks.dispose();
    },
  };
}
