/**
 * The hash functions of item hashes: every algorithm OpenSSL knows (node:crypto), and BLAKE3 through the native
 * `@napi-rs/blake-hash` where its binary exists for this platform (ADR 0014).
 */
import { createHash, getHashes } from 'node:crypto';
import { createRequire } from 'node:module';
import { TapirError } from '@tapir/sdk';

export const BLAKE3 = 'blake3';

/** A hash being computed: fed in order, read once. */
export interface ItemDigest {
  update(data: Uint8Array): void;
  /** The lowercase hex digest. The digest may not be used afterwards. */
  digest(): string;
}

interface Blake3Hasher {
  reset(): void;
  update(input: Uint8Array): unknown;
  digest(format?: string): string;
}
interface BlakeHashModule {
  Blake3Hasher: new () => Blake3Hasher;
}

let blakeModule: BlakeHashModule | null | undefined;

/** The native module, or null where it cannot load (no binary for this platform or C library). */
function blake(): BlakeHashModule | null {
  if (blakeModule === undefined) {
    try {
      blakeModule = createRequire(import.meta.url)('@napi-rs/blake-hash') as BlakeHashModule;
    } catch {
      blakeModule = null;
    }
  }
  return blakeModule;
}

/** Whether BLAKE3 can be computed in this process. */
export function blake3Available(): boolean {
  return blake() !== null;
}

/** Whether `name` is an item hash this process can compute. */
export function isItemHash(name: string): boolean {
  return name === BLAKE3 ? blake3Available() : getHashes().includes(name);
}

/**
 * Hashers ready for reuse: making a native hasher costs more than hashing 10 KB with it, and most items are small.
 * A digest returns its hasher here; an abandoned one is left to the garbage collector.
 */
const spareBlake3: Blake3Hasher[] = [];
const SPARES = 8;

/** A new digest of `name`; throws `TAPIR_E_FORMAT` (naming the algorithm) when this process cannot compute it. */
export function createItemDigest(name: string): ItemDigest {
  if (name !== BLAKE3) {
    const hash = createHash(name);
    return {
      update: (data) => void hash.update(data),
      digest: () => hash.digest('hex'),
    };
  }
  const module = blake();
  if (module === null)
    throw new TapirError(
      'TAPIR_E_FORMAT',
      'items are hashed with BLAKE3, which this platform cannot compute: @napi-rs/blake-hash has no binary for it',
      { hash: name, platform: `${process.platform}-${process.arch}` },
    );
  let hasher: Blake3Hasher | undefined = spareBlake3.pop() ?? new module.Blake3Hasher();
  return {
    update: (data) => void hasher!.update(data),
    digest: () => {
      const hex = hasher!.digest('hex');
      hasher!.reset();
      if (spareBlake3.length < SPARES) spareBlake3.push(hasher!);
      hasher = undefined;
      return hex;
    },
  };
}
