import { defaultInitiatorName, randomIsid } from './initiator-identity.js';
import { IscsiSession } from './iscsi-session.js';

/** A target found by SendTargets discovery. */
export interface DiscoveredTarget {
  readonly name: string;
  /** Portals as `host:port,tpgt` strings parsed into parts. */
  readonly portals: Array<{ host: string; port: number; portalGroupTag: number | undefined }>;
}

/**
 * Asks an iSCSI portal for its targets (a Discovery session with `SendTargets=All`), then logs out.
 *
 * @example
 * ```ts
 * const targets = await discoverTargets({ host: '127.0.0.1', port: 3261 });
 * // [{ name: 'iqn.2026-11.test:vtl', portals: [{ host: '127.0.0.1', port: 3261, portalGroupTag: 1 }] }]
 * ```
 */
export async function discoverTargets(options: {
  host: string;
  port: number;
  initiatorName?: string;
  timeoutMs?: number;
}): Promise<DiscoveredTarget[]> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const session = await IscsiSession.open({
    host: options.host,
    port: options.port,
    initiatorName: options.initiatorName ?? defaultInitiatorName(),
    isid: randomIsid(),
    loginTimeoutMs: timeoutMs,
  });
  try {
    const keys = await session.sendTargets(timeoutMs);
    const targets: DiscoveredTarget[] = [];
    for (const [key, value] of keys) {
      if (key === 'TargetName') targets.push({ name: value, portals: [] });
      else if (key === 'TargetAddress' && targets.length)
        targets[targets.length - 1]!.portals.push(parsePortal(value, options.port));
    }
    return targets;
  } finally {
    await session.logout(timeoutMs);
  }
}

function parsePortal(
  text: string,
  defaultPort: number,
): { host: string; port: number; portalGroupTag: number | undefined } {
  const m = /^(\[[^\]]+\]|[^:,]+)(?::(\d+))?(?:,(\d+))?$/.exec(text);
  if (!m) return { host: text, port: defaultPort, portalGroupTag: undefined };
  return {
    host: m[1]!.replace(/^\[|\]$/g, ''),
    port: m[2] ? Number(m[2]) : 3260,
    portalGroupTag: m[3] ? Number(m[3]) : undefined,
  };
}
