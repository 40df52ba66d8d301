/**
 * `@tapir/plugin-syslog` — the `syslog` notifier: run events as RFC 5424 messages to a syslog server over UDP or
 * TCP (octet-counting framing).
 *
 * The default export is the plugin (`plugin.ts`, which tapir imports alone, through `package.json#tapir.main`); the
 * named exports are the library.
 *
 * @packageDocumentation
 */
export { default } from './plugin.js';
export { Facility, Severity, type FacilityName, type SeverityCode } from './Facility.js';
export { SyslogNotifier } from './SyslogNotifier.js';
export { DEFAULT_EVENTS, EVENT_TYPES, type SyslogOptions } from './SyslogOptions.js';
export { SD_ID } from './eventMessage.js';
export { formatSyslogMessage, type SyslogMessage } from './formatSyslogMessage.js';
