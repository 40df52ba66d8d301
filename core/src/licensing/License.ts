/** Licences: what a vendor grants, signed with Ed25519. Format in docs/licensing.md. */

/** Features that are counted, and what an unlicensed installation may use of each. */
export const UNLICENSED: Readonly<Record<string, number>> = Object.freeze({
  /** Changer storage slots tapir addresses. */
  'autoloader.slots': 4,
  /** Backup clients (hosts with an agent). */
  clients: 1,
  /** Hypervisor hosts backed up agentlessly. */
  'hypervisor.hosts': 1,
  /** VMware vSphere seats (CPU sockets). */
  'vmware.seats': 0,
  /** SAN remote device servers. */
  'remote.devices': 0,
});

/** The signed part of a licence. */
export interface LicenseTerms {
  /** Unique id, e.g. `ACME-2026-0042`. */
  id: string;
  licensee: string;
  /** Which distribution key signed it (a key of `package.json#tapir.licenseKeys`). */
  keyId: string;
  /** ISO dates. */
  issued: string;
  notBefore?: string;
  expires?: string;
  /** Feature → count granted. Counts of several licences add up. */
  features: Record<string, number>;
}

/** A licence file: the terms and an Ed25519 signature over their canonical JSON. */
export interface LicenseFile {
  format: 'tapir-license';
  version: 1;
  terms: LicenseTerms;
  /** base64 Ed25519 signature of `canonicalJson(terms)`. */
  signature: string;
}

/** JSON with object keys sorted at every level: what is signed and verified, byte for byte. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}
