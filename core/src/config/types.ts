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
  /** Named restore targets (`tapir restore --target <name>`). */
  restoreTargets: Record<string, KindConfig>;
  jobs: Record<string, JobConfig>;
  /** Tape drives and media changers, by name (`tapir device …`, `tapir tape …`). @defaultValue {} */
  devices: Record<string, DeviceConfig>;
  /** Plugin-level settings, by plugin name. */
  plugins: Record<string, Record<string, unknown>>;
}

/** A SCSI media changer reached over iSCSI. */
export interface IscsiChangerConfig {
  kind: 'iscsi-changer';
  /** `iscsi://host[:port]/target-iqn[/lun]`. */
  url: string;
  /** The changer's LUN; else the URL's, else the target's only medium changer. */
  lun?: number;
  /** Per-command timeout in seconds. @defaultValue 60 */
  timeoutSeconds?: number;
  /**
   * Which drive sits in which drive element, by element address: a configured `iscsi-tape` name, or a LUN (on the
   * changer's target unless `url` names another). Unlisted elements are matched by the drives' serial numbers.
   */
  drives?: Record<string, string | { url?: string; lun: number }>;
}

/** A tape drive reached over iSCSI. */
export interface IscsiTapeConfig {
  kind: 'iscsi-tape';
  url: string;
  /** The drive's LUN; else the URL's, else the target's only tape drive. */
  lun?: number;
  /** Per-command timeout in seconds. @defaultValue 60 */
  timeoutSeconds?: number;
}

/** A device named in the configuration's `devices:` section. */
export type DeviceConfig = IscsiChangerConfig | IscsiTapeConfig;
