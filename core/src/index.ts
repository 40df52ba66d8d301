/**
 * `@tapir/core` — the engine: plugin host, configuration, catalog, media format, backup, restore and verify.
 * Its operator commands are oclif commands in `./commands`.
 *
 * @packageDocumentation
 */
export { PluginHost, type LoadedPlugin, type PluginPackage } from './host/PluginHost.js';
export { Catalog, type SaveSetRecord, type SaveSetFilter } from './catalog/Catalog.js';
export { readConfigFile, validateConfig, type ConfigProblem } from './config/loadConfig.js';
export { configSchema } from './config/coreSchema.js';
export type { TapirConfig, JobConfig, KindConfig } from './config/types.js';
export { runBackup, type BackupSpec, type RunEnvironment } from './run/backupRun.js';
export { itemHash } from './run/itemHash.js';
export { runRestore, type RestoreRequest, type RestoreResult } from './run/restoreRun.js';
export { runVerify, type VerifyResult } from './run/verifyRun.js';
export { decodeSaveSet, type DecodeResult, type DamagedItem, type FailedItem } from './pipeline/SaveSetDecoder.js';
export { ArchiveWriter } from './format/ArchiveWriter.js';
export { ArchiveReader, type Member } from './format/ArchiveReader.js';
export * from './format/saveSetFormat.js';
export { corePlugin } from './cli/builtins.js';
export { openEnvironment, type Environment } from './cli/Environment.js';
export { ExitCode } from './cli/exitCodes.js';
export { TAPIR_VERSION } from './version.js';
