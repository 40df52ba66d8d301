/** Notifiers watch runs and tell people or systems about them. */
import type { JSONSchema } from './schema.js';
import type { RunEvent } from './events.js';

/** A notifier configured for a job. */
export interface Notifier {
  /** Delivers one event. A failing notifier is logged and never fails the run. */
  notify(event: RunEvent): Promise<void>;
  close?(): Promise<void>;
}

/** A kind of notifier, as a plugin registers it. */
export interface NotifierKind<O = Record<string, unknown>> {
  kind: string;
  schema: JSONSchema;
  create(options: O): Notifier | Promise<Notifier>;
}
