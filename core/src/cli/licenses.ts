import type { Config } from '@oclif/core';
import { LicenseStore } from '../licensing/LicenseStore.js';

/** The licence store of this distribution: keys come from the CLI root package's `package.json#tapir.licenseKeys`. */
export function licenseStore(config: Config, home: string): LicenseStore {
  const keys = (config.pjson as { tapir?: { licenseKeys?: Record<string, string> } }).tapir?.licenseKeys ?? {};
  return new LicenseStore(home, keys);
}
