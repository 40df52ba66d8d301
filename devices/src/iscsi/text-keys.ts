import { protocolError } from './pdu.js';

/** Encodes iSCSI text keys (`key=value`, each NUL-terminated; §6.1). Order is kept. */
export function encodeTextKeys(keys: ReadonlyArray<readonly [string, string]> | Record<string, string>): Buffer {
  const entries = Array.isArray(keys) ? keys : Object.entries(keys);
  return Buffer.from(entries.map(([k, v]) => `${k}=${v}\0`).join(''), 'utf8');
}

/**
 * Decodes iSCSI text keys into ordered pairs (a key may repeat, as `TargetName`/`TargetAddress` do in SendTargets).
 * Throws `TAPIR_E_ISCSI_PROTOCOL` for a pair without `=` or an empty key.
 */
export function decodeTextKeys(data: Buffer): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const part of data.toString('utf8').split('\0')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw protocolError(`malformed text key ${JSON.stringify(part.slice(0, 64))}`);
    out.push([part.slice(0, eq), part.slice(eq + 1)]);
  }
  return out;
}
