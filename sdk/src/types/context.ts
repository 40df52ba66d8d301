/** What tapir hands to plugin code at run time. */

/** A structured logger (pino-compatible subset). Secrets must never be passed in messages. */
export interface Logger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}

/** A warning about one item or the whole run that does not stop the run (a file changed while read, …). */
export interface RunWarning {
  /** A stable, plugin-defined code such as `FILE_CHANGED`. */
  code: string;
  message: string;
  /** The item path, when the warning concerns one item. */
  item?: string;
}

import type { LicenseView, MediaEvent, MediaStore } from './media.js';

/** Context given to every plugin call made during a run. */
export interface RunContext {
  /** The job's name. */
  job: string;
  /** Aborted when the run is cancelled (Ctrl-C, a failure elsewhere). Stop promptly and release resources. */
  signal: AbortSignal;
  log: Logger;
  /** Reports a warning; the run goes on and its result lists the warning. */
  warn(warning: RunWarning): void;
  /** The catalog's media records (destinations with removable media). Provided by tapir for runs. */
  media?: MediaStore;
  /** Licensed feature counts. Provided by tapir for runs. */
  licenses?: LicenseView;
  /** Tells notifiers about a media event (tape full, tape needed, cleaning needed). */
  emit?(event: MediaEvent): Promise<void>;
  /** The tapir home directory (locks, state). */
  home?: string;
}
