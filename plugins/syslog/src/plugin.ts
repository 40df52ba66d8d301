/**
 * The `syslog` plugin as tapir loads it (`package.json#tapir.main`): the `syslog` kind and its schema. The notifier
 * and its senders are imported on first use, so a run without a syslog notifier never loads them
 * (docs/adr/0012-cli-start-up.md).
 */
import { definePlugin, type NotifierKind } from '@tapir/sdk';
import { resolveSyslogOptions, syslogSchema, type SyslogOptions } from './SyslogOptions.js';

const syslogNotifier: NotifierKind<SyslogOptions> = {
  kind: 'syslog',
  schema: syslogSchema,
  create: async (options) => {
    const resolved = resolveSyslogOptions(options);
    return new (await import('./SyslogNotifier.js')).SyslogNotifier(resolved);
  },
};

export default definePlugin({
  name: 'syslog',
  version: '0.1.0',
  api: '^1',
  apply(hooks) {
    hooks.notifiers.for('syslog').tap('syslog', () => syslogNotifier);
  },
});
