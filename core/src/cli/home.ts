import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Where tapir keeps its configuration, catalog and logs: `--home`, else `$TAPIR_HOME`, else `~/.tapir`. */
export function resolveHome(flag?: string): string {
  return resolve(flag ?? process.env.TAPIR_HOME ?? join(homedir(), '.tapir'));
}

/** The configuration file: `--config`, else `$TAPIR_CONFIG`, else `<home>/tapir.yaml`. */
export function resolveConfigFile(home: string, flag?: string): string {
  return resolve(flag ?? process.env.TAPIR_CONFIG ?? join(home, 'tapir.yaml'));
}
