import type { XenServerRestoreTarget } from './XenServerRestoreTarget.js';

type Watcher = (target: XenServerRestoreTarget) => void;
const watchers = new Set<Watcher>();

/**
 * Calls `watcher` with every xenserver restore target created in this process until the returned function is
 * called. `tapir xen restore` and `tapir xen health-check` run tapir's own restore and read from the target what
 * it created on the pool (VMs, VDIs, health-check reports), which tapir's restore result does not carry.
 */
export function watchRestoreTargets(watcher: Watcher): () => void {
  watchers.add(watcher);
  return () => watchers.delete(watcher);
}

/** Tells the watchers about a new restore target; returns it. */
export function announceRestoreTarget(target: XenServerRestoreTarget): XenServerRestoreTarget {
  for (const watcher of watchers) watcher(target);
  return target;
}
