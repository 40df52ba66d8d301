import type { Logger, Notifier, RunEvent } from '@tapir/sdk';
import { pluginError } from '@tapir/sdk';
import type { KindConfig } from '../config/types.js';
import type { PluginHost } from '../host/PluginHost.js';
import { splitKind } from './kinds.js';

/** A job's notifiers, created for one run. Delivery never fails the run: a failing notifier is logged by name. */
export class RunNotifiers {
  private constructor(
    private readonly notifiers: Array<{ plugin: string; kind: string; notifier: Notifier }>,
    private readonly log: Logger,
  ) {}

  /** Creates the notifiers a job configures (before anything is written: a bad one fails the run at once). */
  static async create(host: PluginHost, configs: KindConfig[], log: Logger): Promise<RunNotifiers> {
    const out: Array<{ plugin: string; kind: string; notifier: Notifier }> = [];
    for (const config of configs) {
      const provided = host.require('notifiers', config.kind);
      try {
        out.push({
          plugin: provided.plugin,
          kind: config.kind,
          notifier: await provided.value.create(splitKind(config)),
        });
      } catch (error) {
        throw pluginError(provided.plugin, 'notifier.create', error);
      }
    }
    return new RunNotifiers(out, log);
  }

  /** Delivers an event to every notifier, in order. */
  async notify(event: RunEvent): Promise<void> {
    for (const { plugin, kind, notifier } of this.notifiers) {
      try {
        await notifier.notify(event);
      } catch (error) {
        this.log.warn(
          { err: pluginError(plugin, 'notifier.notify', error).toJSON(), notifier: kind },
          `notifier ${kind} failed on a ${event.type} event`,
        );
      }
    }
  }

  async close(): Promise<void> {
    for (const { notifier } of this.notifiers) await notifier.close?.().catch(() => {});
  }
}
