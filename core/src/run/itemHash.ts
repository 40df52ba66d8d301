/**
 * The algorithm of item hashes for new save sets: BLAKE3 wherever its native module loads (ADR 0014), 4.6 times as
 * fast as SHA-256 with SHA instructions; elsewhere the per-machine choice of ADR 0011, SHA-256 where the CPU has SHA
 * instructions (x86 SHA-NI, ARMv8 SHA2) and BLAKE2b-512 where it does not. Each save set names its algorithm in its
 * header, so save sets made any of these ways read everywhere the algorithm can be computed.
 */
import { readFileSync } from 'node:fs';
import { TapirError } from '@tapir/sdk';
import { BLAKE3, blake3Available, isItemHash } from '../format/itemHashes.js';

/** The fallback, and the algorithm of save sets from before the choice was made per machine. */
export const SOFTWARE_HASH = 'blake2b512';
export const ACCELERATED_HASH = 'sha256';

let chosen: string | undefined;

/**
 * `blake3`; without it `sha256` or `blake2b512`, from the CPU flags in /proc/cpuinfo (BLAKE2b when they cannot be
 * read). `TAPIR_ITEM_HASH` may name another algorithm: `blake3` or one OpenSSL knows.
 */
export function itemHash(): string {
  chosen ??=
    fromEnvironment() ??
    (blake3Available() ? BLAKE3 : hasShaInstructions(readCpuInfo()) ? ACCELERATED_HASH : SOFTWARE_HASH);
  return chosen;
}

function fromEnvironment(): string | undefined {
  const name = process.env.TAPIR_ITEM_HASH;
  if (!name) return undefined;
  if (!isItemHash(name))
    throw new TapirError(
      'TAPIR_E_CONFIG_INVALID',
      `TAPIR_ITEM_HASH=${name} is not a hash algorithm tapir can compute here (blake3, or one OpenSSL knows: sha256, …)`,
      {
        variable: 'TAPIR_ITEM_HASH',
      },
    );
  return name;
}

/** Whether `/proc/cpuinfo` text lists SHA-256 instructions: `sha_ni` (x86) or `sha2` (arm64 Features). */
export function hasShaInstructions(cpuinfo: string): boolean {
  return /^(flags|Features)\s*:.*\b(sha_ni|sha2)\b/m.test(cpuinfo);
}

function readCpuInfo(): string {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return '';
  }
}
