import { hostname as osHostname } from 'node:os';
import { TapirError, type JSONSchema, type RunEvent } from '@tapir/sdk';
import { Facility, type FacilityName } from './Facility.js';

/** Run event types a `syslog` notifier can send (`events` option). */
export const EVENT_TYPES = ['start', 'saveSetEnd', 'failure', 'end', 'media', 'item', 'progress'] as const;

/** What is sent when `events` is not set: everything but `item` and `progress`, which come by the thousand. */
export const DEFAULT_EVENTS: ReadonlyArray<RunEvent['type']> = ['start', 'saveSetEnd', 'failure', 'end', 'media'];

/** Options of a `syslog` notifier, as a job configures them (`notifiers: [{ kind: syslog, … }]`). */
export interface SyslogOptions {
  /** The syslog server; default `127.0.0.1`. */
  host?: string;
  /** Default 514. */
  port?: number;
  /** `udp` (one message per datagram, RFC 5426) or `tcp` (octet-counting framing, RFC 6587); default `udp`. */
  transport?: 'udp' | 'tcp';
  /** Default `daemon`. */
  facility?: FacilityName;
  /** APP-NAME of every message; default `tapir`. */
  appName?: string;
  /** HOSTNAME of every message; default this machine's host name. */
  hostname?: string;
  /** Which run events to send; default all but `item` and `progress`. */
  events?: Array<RunEvent['type']>;
  /** How long a connection, a DNS lookup or a send may take before the event fails; default 5000. */
  timeoutMs?: number;
  /** Longest message in bytes; a longer MSG is cut. Default 2048, what RFC 5424 says every receiver should take. */
  maxMessageBytes?: number;
}

/** {@link SyslogOptions} with every default applied. */
export interface ResolvedSyslogOptions {
  host: string;
  port: number;
  transport: 'udp' | 'tcp';
  facility: number;
  appName: string;
  hostname: string;
  events: ReadonlySet<RunEvent['type']>;
  timeoutMs: number;
  maxMessageBytes: number;
}

// RFC 5424 header fields are PRINTUSASCII (33–126); the schema refuses anything else in what an operator types.
const printableAscii = (maxLength: number): JSONSchema => ({
  type: 'string',
  minLength: 1,
  maxLength,
  pattern: '^[!-~]+$',
});

/** The JSON Schema of a `syslog` notifier's options. */
export const syslogSchema: JSONSchema = {
  type: 'object',
  properties: {
    host: { type: 'string', minLength: 1, default: '127.0.0.1' },
    port: { type: 'integer', minimum: 1, maximum: 65535, default: 514 },
    transport: { enum: ['udp', 'tcp'], default: 'udp' },
    facility: { enum: Object.keys(Facility), default: 'daemon' },
    appName: { ...printableAscii(48), default: 'tapir' },
    hostname: printableAscii(255),
    events: {
      type: 'array',
      items: { enum: [...EVENT_TYPES] },
      uniqueItems: true,
      default: [...DEFAULT_EVENTS],
    },
    timeoutMs: { type: 'integer', minimum: 100, maximum: 120_000, default: 5000 },
    maxMessageBytes: { type: 'integer', minimum: 480, maximum: 65_000, default: 2048 },
  },
  additionalProperties: false,
};

/**
 * Applies the defaults, and checks what the schema checks for callers that did not validate (a direct `create`).
 *
 * @throws TapirError `TAPIR_E_CONFIG_INVALID` naming the option.
 */
export function resolveSyslogOptions(options: SyslogOptions): ResolvedSyslogOptions {
  const invalid = (option: string, why: string) =>
    new TapirError('TAPIR_E_CONFIG_INVALID', `syslog notifier: ${option} ${why}`, { option });
  const facility = options.facility ?? 'daemon';
  if (!Object.hasOwn(Facility, facility)) throw invalid('facility', `"${facility}" is not a syslog facility name`);
  const transport = options.transport ?? 'udp';
  if (transport !== 'udp' && transport !== 'tcp') throw invalid('transport', `must be udp or tcp`);
  const port = options.port ?? 514;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalid('port', `${port} is not a port number`);
  const events = options.events ?? DEFAULT_EVENTS;
  for (const type of events)
    if (!(EVENT_TYPES as readonly string[]).includes(type)) throw invalid('events', `"${type}" is not an event type`);
  return {
    host: options.host ?? '127.0.0.1',
    port,
    transport,
    facility: Facility[facility],
    appName: options.appName ?? 'tapir',
    hostname: options.hostname ?? osHostname(),
    events: new Set(events),
    timeoutMs: options.timeoutMs ?? 5000,
    maxMessageBytes: options.maxMessageBytes ?? 2048,
  };
}
