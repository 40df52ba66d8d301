/**
 * The algorithm of item hashes for new save sets (ADR 0011): SHA-256 where the CPU has SHA instructions (x86 SHA-NI,
 * ARMv8 SHA2), where OpenSSL's SHA-256 outruns BLAKE2b-512; BLAKE2b-512 elsewhere, where SHA-256 in software is about
 * half as fast. Each save set names its algorithm in its header, so save sets made either way read everywhere.
 */
import { getHashes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { TapirError } from '@tapir/sdk';

/** The fallback, and the algorithm of save sets from before the choice was made per machine. */
export const SOFTWARE_HASH = 'blake2b512';
export const ACCELERATED_HASH = 'sha256';

let chosen: string | undefined;

/**
 * `sha256` or `blake2b512`, from the CPU flags in /proc/cpuinfo (BLAKE2b when they cannot be read), unless
 * `TAPIR_ITEM_HASH` names another algorithm OpenSSL knows.
 */
export function itemHash(): string {
  chosen ??= fromEnvironment() ?? (hasShaInstructions(readCpuInfo()) ? ACCELERATED_HASH : SOFTWARE_HASH);
  return chosen;
}

function fromEnvironment(): string | undefined {
  const name = process.env.TAPIR_ITEM_HASH;
  if (!name) return undefined;
  if (!getHashes().includes(name))
    throw new TapirError('TAPIR_E_CONFIG_INVALID', `TAPIR_ITEM_HASH=${name} is not a hash algorithm OpenSSL knows`, {
      variable: 'TAPIR_ITEM_HASH',
    });
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
