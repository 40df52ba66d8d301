/** The configuration file's shape (after validation and defaults). */
import type { BackupLevel } from '@tapir/sdk';

/** A plugin-provided kind with its options: `{ kind: 'files', paths: [...] }`. */
export interface KindConfig {
  kind: string;
  [option: string]: unknown;
}

export interface JobConfig {
  /** What to back up; one save set per source per run. */
  sources: KindConfig[];
  /** A destination name from `destinations`, or an inline destination. */
  destination: string | KindConfig;
  /** @defaultValue incremental (a full when no parent exists) */
  level: BackupLevel;
  /** Transforms applied to item data; ordered by their stage, not by this list. */
  transforms: KindConfig[];
  notifiers: KindConfig[];
  /** Save sets written at once (one per source). @defaultValue 1 */
  streams: number;
}

export interface TapirConfig {
  version: 1;
  catalog: { path?: string };
  destinations: Record<string, KindConfig>;
  jobs: Record<string, JobConfig>;
  /** Plugin-level settings, by plugin name. */
  plugins: Record<string, Record<string, unknown>>;
}
