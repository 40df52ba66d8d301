/* eslint-disable @typescript-eslint/no-explicit-any -- the registries are typed by TapirHooks, which this function returns. */
import { AsyncSeriesHook, HookMap, SyncBailHook, SyncHook } from 'tapable';
import type { TapirHooks } from './types/hooks.js';

/**
 * Creates a fresh, frozen set of tapir hooks. Tapir's core makes one per process; the conformance kit makes one
 * per test.
 */
export function createTapirHooks(): TapirHooks {
  const registry = () => new HookMap(() => new SyncBailHook<[], any>());
  return Object.freeze({
    sources: registry(),
    restoreTargets: registry(),
    transforms: registry(),
    destinations: registry(),
    notifiers: registry(),
    runStart: new AsyncSeriesHook(['event']),
    item: new SyncHook(['event']),
    progress: new SyncHook(['event']),
    saveSetEnd: new AsyncSeriesHook(['event']),
    runEnd: new AsyncSeriesHook(['event']),
    runFailure: new AsyncSeriesHook(['event']),
    media: new AsyncSeriesHook(['event']),
  }) as TapirHooks;
}
