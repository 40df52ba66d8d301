/**
 * `@tapir/sdk/testing` — the conformance kit for plugin authors: run it in your plugin's tests.
 *
 * @packageDocumentation
 */
export {
  checkPlugin,
  expectConformance,
  KIND_CATEGORIES,
  type ConformanceCheck,
  type ConformanceOptions,
  type KindCategory,
} from './conformance.js';
