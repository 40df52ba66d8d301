/**
 * The state of a VM's VHD chains, kept on the pool with the base snapshot (in its `other_config`), so that the next
 * run knows which snapshot to diff against and which items the catalog should already hold.
 *
 * @remarks
 * Each disk's chain is a list of links: link 0 a full VHD, the others deltas (or a full, when the catalog lacked a
 * link and tapir had to start over at that position). Every link is one item of the save set with a random
 * `changeToken`; an incremental run yields the old links again with their tokens, so tapir stores references for
 * them, and a new delta. When tapir asks for the data of an old link, the catalog does not hold it (a full run, or a
 * failed last save set): the link's data is then a full export and the chain continues from there.
 */
import { randomUUID } from 'node:crypto';

/** `other_config` key on the base snapshot: the chain of one job. */
export const chainKey = (job: string): string => `tapir:chain:${job}`;

/** One item of a disk's chain. */
export interface ChainLink {
  seq: number;
  token: string;
}

/** A disk's chain. */
export interface DiskChain {
  /** UUID of the VM's VDI the chain follows: another VDI at the same position breaks the chain. */
  vdi: string;
  links: ChainLink[];
}

/** Every disk's chain, by `userdevice`. */
export interface ChainState {
  version: 1;
  disks: Record<string, DiskChain>;
}

/** Parses a stored chain; undefined when absent or unreadable. */
export function parseChain(text: unknown): ChainState | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    const value = JSON.parse(text) as ChainState;
    return value.version === 1 && typeof value.disks === 'object' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** A fresh change token for a new link. */
export const newToken = (): string => `xen-vhd:${randomUUID()}`;

/** The item path of a chain link. */
export const linkPath = (vmUuid: string, userdevice: string, seq: number): string =>
  `vms/${vmUuid}/disk-${userdevice}.${String(seq).padStart(6, '0')}.vhd`;

/** Splits a link path into the disk's key and the sequence number; undefined for other paths. */
export function parseLinkPath(path: string): { disk: string; seq: number } | undefined {
  const match = /^(.*\/disk-[^/]+)\.(\d{6})\.vhd$/.exec(path);
  return match ? { disk: match[1]!, seq: Number(match[2]) } : undefined;
}
