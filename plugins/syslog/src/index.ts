/**
 * `@tapir/plugin-syslog` — the `syslog` notifier: run events as RFC 5424 messages to a syslog server over UDP or
 * TCP (octet-counting framing).
 *
 * @packageDocumentation
 */
import { definePlugin, type NotifierKind } from '@tapir/sdk';
import { resolveSyslogOptions, syslogSchema, type SyslogOptions } from './SyslogOptions.js';
import { SyslogNotifier } from './SyslogNotifier.js';

export { Facility, Severity, type FacilityName, type SeverityCode } from './Facility.js';
export { SyslogNotifier } from './SyslogNotifier.js';
export { DEFAULT_EVENTS, EVENT_TYPES, type SyslogOptions } from './SyslogOptions.js';
export { SD_ID } from './eventMessage.js';
export { formatSyslogMessage, type SyslogMessage } from './formatSyslogMessage.js';

const syslogNotifier: NotifierKind<SyslogOptions> = {
  kind: 'syslog',
  schema: syslogSchema,
  create: (options) => new SyslogNotifier(resolveSyslogOptions(options)),
};

export default definePlugin({
  name: 'syslog',
  version: '0.1.0',
  api: '^1',
  apply(hooks) {
    hooks.notifiers.for('syslog').tap('syslog', () => syslogNotifier);
  },
});
