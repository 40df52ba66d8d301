/** Events of a run's lifecycle, as lifecycle hooks and notifiers receive them. */
import type { BackupLevel } from './saveSet.js';
import type { MediaEvent } from './media.js';
import type { RunWarning } from './context.js';

/** A run started. */
export interface RunStartEvent {
  type: 'start';
  job: string;
  runId: number;
  at: string;
}

/** An item was stored (or referenced, in an incremental run). */
export interface RunItemEvent {
  type: 'item';
  job: string;
  saveSet: string;
  path: string;
  bytes: number;
  /** True when the item was unchanged and only referenced. */
  unchanged: boolean;
}

/** Progress of a run, emitted a few times a second at most. */
export interface RunProgressEvent {
  type: 'progress';
  job: string;
  items: number;
  /** Plaintext bytes read so far. */
  bytes: number;
  /** Bytes written to the destination so far. */
  storedBytes: number;
  current?: string;
}

/** A save set of the run finished, complete or failed. */
export interface SaveSetEndEvent {
  type: 'saveSetEnd';
  job: string;
  saveSet: string;
  object: string;
  level: BackupLevel;
  status: 'complete' | 'failed';
  items: number;
  bytes: number;
  storedBytes: number;
  error?: { code: string; message: string };
}

/** The run ended. `status` is `ok` when every save set completed, `warning` when some items warned. */
export interface RunEndEvent {
  type: 'end';
  job: string;
  runId: number;
  at: string;
  status: 'ok' | 'warning' | 'failed';
  warnings: RunWarning[];
  saveSets: SaveSetEndEvent[];
}

/** The run failed as a whole (also emitted before `end` with status `failed`). */
export interface RunFailureEvent {
  type: 'failure';
  job: string;
  runId: number;
  error: { code: string; message: string };
}

/** Any run event. */
export type RunEvent =
  RunStartEvent | RunItemEvent | RunProgressEvent | SaveSetEndEvent | RunEndEvent | RunFailureEvent | MediaEvent;
