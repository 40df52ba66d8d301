import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TapirError } from '@tapir/sdk';
import { canonicalJson, type LicenseFile, type LicenseTerms, UNLICENSED } from './License.js';

/** A licence as checked against this distribution's keys. */
export interface CheckedLicense {
  file: string;
  terms: LicenseTerms;
  valid: boolean;
  /** Why it is not valid. */
  problem?: string;
}

/**
 * The licences installed in `<home>/licenses`, verified against the public keys the distribution ships
 * (`package.json#tapir.licenseKeys` of the CLI's root package: key id → SPKI PEM or base64 DER).
 */
export class LicenseStore {
  private readonly keys: Map<string, KeyObject>;

  constructor(
    private readonly home: string,
    keys: Record<string, string>,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.keys = new Map(Object.entries(keys).map(([id, key]) => [id, publicKey(key)]));
  }

  private get dir(): string {
    return join(this.home, 'licenses');
  }

  /** Every installed licence, each checked. */
  async list(): Promise<CheckedLicense[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const out: CheckedLicense[] = [];
    for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
      const file = join(this.dir, name);
      try {
        const parsed = parse(await readFile(file, 'utf8'), file);
        out.push({ file, terms: parsed.terms, ...this.check(parsed) });
      } catch (error) {
        out.push({
          file,
          terms: { id: name, licensee: '?', keyId: '?', issued: '?', features: {} },
          valid: false,
          problem: (error as Error).message,
        });
      }
    }
    return out;
  }

  /** The count of each feature in effect: the unlicensed default, or the sum over valid licences if larger. */
  async features(): Promise<Record<string, number>> {
    const granted: Record<string, number> = {};
    for (const l of await this.list()) {
      if (!l.valid) continue;
      for (const [feature, count] of Object.entries(l.terms.features))
        granted[feature] = (granted[feature] ?? 0) + count;
    }
    const out: Record<string, number> = { ...UNLICENSED };
    for (const [feature, count] of Object.entries(granted)) out[feature] = Math.max(count, UNLICENSED[feature] ?? 0);
    return out;
  }

  /** How many of `feature` may be used. */
  async count(feature: string): Promise<number> {
    return (await this.features())[feature] ?? 0;
  }

  /** Throws TAPIR_E_LICENSE_LIMIT unless `wanted` of `feature` is covered. */
  async require(feature: string, wanted: number, what: string): Promise<void> {
    const licensed = await this.count(feature);
    if (wanted > licensed) {
      throw new TapirError(
        'TAPIR_E_LICENSE_LIMIT',
        `${what} needs ${wanted} of "${feature}", the licence covers ${licensed}; add a licence (tapir license add) or stay within it`,
        {
          feature,
          licensed,
          wanted,
        },
      );
    }
  }

  /** Verifies a licence file and installs it; throws TAPIR_E_LICENSE_INVALID without installing anything. */
  async add(text: string, source: string): Promise<LicenseTerms> {
    const parsed = parse(text, source);
    const checked = this.check(parsed);
    if (!checked.valid)
      throw new TapirError('TAPIR_E_LICENSE_INVALID', `${source}: ${checked.problem}`, {
        path: source,
        license: parsed.terms.id,
      });
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await writeFile(join(this.dir, `${safeName(parsed.terms.id)}.json`), JSON.stringify(parsed, null, 2) + '\n', {
      mode: 0o600,
    });
    return parsed.terms;
  }

  /** Removes an installed licence by id. */
  async remove(id: string): Promise<void> {
    const found = (await this.list()).find((l) => l.terms.id === id);
    if (!found)
      throw new TapirError('TAPIR_E_NOT_FOUND', `no licence ${id} is installed in ${this.dir}`, { license: id });
    await rm(found.file);
  }

  private check(license: LicenseFile): { valid: boolean; problem?: string } {
    const key = this.keys.get(license.terms.keyId);
    if (!key)
      return {
        valid: false,
        problem: `signed with key "${license.terms.keyId}", which this distribution does not trust (trusted: ${[...this.keys.keys()].join(', ') || 'none'})`,
      };
    let ok = false;
    try {
      ok = verify(null, Buffer.from(canonicalJson(license.terms)), key, Buffer.from(license.signature, 'base64'));
    } catch {
      ok = false;
    }
    if (!ok)
      return {
        valid: false,
        problem: 'the signature does not match the licence terms: the file was altered or forged',
      };
    const now = this.now().getTime();
    if (license.terms.notBefore && Date.parse(license.terms.notBefore) > now)
      return { valid: false, problem: `not valid before ${license.terms.notBefore}` };
    if (license.terms.expires && Date.parse(license.terms.expires) <= now)
      return { valid: false, problem: `expired on ${license.terms.expires}` };
    return { valid: true };
  }
}

/** Signs licence terms with a vendor's Ed25519 private key (PEM). For vendors' tooling and tests. */
export function signLicense(terms: LicenseTerms, privateKeyPem: string): LicenseFile {
  const signature = sign(null, Buffer.from(canonicalJson(terms)), createPrivateKey(privateKeyPem)).toString('base64');
  return { format: 'tapir-license', version: 1, terms, signature };
}

/** A new Ed25519 key pair for a vendor distribution, as PEM. */
export function generateLicenseKeys(): { publicKey: string; privateKey: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

function parse(text: string, source: string): LicenseFile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new TapirError('TAPIR_E_LICENSE_INVALID', `${source} is not a licence file: ${(error as Error).message}`, {
      path: source,
    });
  }
  const l = value as Partial<LicenseFile>;
  if (
    l.format !== 'tapir-license' ||
    l.version !== 1 ||
    !l.terms ||
    typeof l.signature !== 'string' ||
    typeof l.terms.id !== 'string' ||
    typeof l.terms.features !== 'object'
  ) {
    throw new TapirError('TAPIR_E_LICENSE_INVALID', `${source} is not a tapir licence file (format 1)`, {
      path: source,
    });
  }
  for (const [feature, count] of Object.entries(l.terms.features)) {
    if (!Number.isSafeInteger(count) || count < 0)
      throw new TapirError('TAPIR_E_LICENSE_INVALID', `${source}: feature ${feature} has no whole count`, {
        path: source,
      });
  }
  return l as LicenseFile;
}

function publicKey(key: string): KeyObject {
  return key.includes('BEGIN')
    ? createPublicKey(key)
    : createPublicKey({ key: Buffer.from(key, 'base64'), format: 'der', type: 'spki' });
}

function safeName(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, '_');
}
