/**
 * `@tapir/sdk` — everything a tapir plugin author imports.
 *
 * @packageDocumentation
 */
export * from './errors.js';
export { TAPIR_API_VERSION, definePlugin, isTapirPlugin } from './plugin.js';
export { createTapirHooks } from './hooks.js';
export { loadItemEncoder } from './itemEncoder.js';
export { TransformStage } from './types/transform.js';
export type * from './types/item.js';
export type * from './types/saveSet.js';
export type * from './types/context.js';
export type * from './types/source.js';
export type * from './types/destination.js';
export type * from './types/transform.js';
export type * from './types/encoding.js';
export type * from './types/notifier.js';
export type * from './types/events.js';
export type * from './types/hooks.js';
export type * from './types/plugin.js';
export type * from './types/schema.js';
export type * from './types/media.js';
