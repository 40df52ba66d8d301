/* eslint-disable @typescript-eslint/no-explicit-any -- a registry holds kinds whose option types differ per kind; `any` keeps SourceKind<FilesOptions> assignable. */
/** The hook contract: what plugins tap. */
import type { AsyncSeriesHook, HookMap, SyncBailHook, SyncHook } from 'tapable';
import type { DestinationKind } from './destination.js';
import type {
  RunEndEvent,
  RunFailureEvent,
  RunItemEvent,
  RunProgressEvent,
  RunStartEvent,
  SaveSetEndEvent,
} from './events.js';
import type { MediaEvent } from './media.js';
import type { NotifierKind } from './notifier.js';
import type { RestoreTargetKind, SourceKind } from './source.js';
import type { TransformKind } from './transform.js';

/**
 * A keyed registry: `for(kind)` gives the hook a plugin taps to provide that kind; tapir calls it to get the
 * provider. The first tap that returns a value wins, so a plugin can override another only by explicit `stage`.
 *
 * @example
 * ```ts
 * hooks.sources.for('files').tap('files', () => filesSource);
 * ```
 */
export type KindRegistry<T> = HookMap<SyncBailHook<[], T>>;

/**
 * Every hook tapir offers plugins. The object is frozen; hooks are created by tapir, never by plugins.
 *
 * @remarks
 * Registries (`sources`, `restoreTargets`, `transforms`, `destinations`, `notifiers`) are keyed by kind. Lifecycle
 * hooks run in series in tap order (stage, then plugin name); a lifecycle tap that throws is reported with its
 * plugin's name and does not fail the run.
 */
export interface TapirHooks {
  readonly sources: KindRegistry<SourceKind<any>>;
  readonly restoreTargets: KindRegistry<RestoreTargetKind<any>>;
  readonly transforms: KindRegistry<TransformKind<any>>;
  readonly destinations: KindRegistry<DestinationKind<any>>;
  readonly notifiers: KindRegistry<NotifierKind<any>>;
  /** A run started. */
  readonly runStart: AsyncSeriesHook<[event: RunStartEvent]>;
  /** An item was stored or referenced. Synchronous: keep taps cheap. */
  readonly item: SyncHook<[event: RunItemEvent]>;
  /** Progress, a few times a second at most. Synchronous: keep taps cheap. */
  readonly progress: SyncHook<[event: RunProgressEvent]>;
  /** A save set finished (complete or failed). */
  readonly saveSetEnd: AsyncSeriesHook<[event: SaveSetEndEvent]>;
  /** The run ended. */
  readonly runEnd: AsyncSeriesHook<[event: RunEndEvent]>;
  /** The run failed. */
  readonly runFailure: AsyncSeriesHook<[event: RunFailureEvent]>;
  /** A medium event: tape full, tape needed, cleaning needed, labelled. */
  readonly media: AsyncSeriesHook<[event: MediaEvent]>;
}
