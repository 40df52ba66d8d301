import { createRequire } from 'node:module';

/** tapir's version, from @tapir/core's package.json. */
export const TAPIR_VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;
