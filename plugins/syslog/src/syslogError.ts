import { TapirError } from '@tapir/sdk';

/** The `syslog` notifier's own codes, found in `context.pluginCode` of the error tapir logs. */
export type SyslogErrorCode =
  'SYSLOG_CONNECT_FAILED' | 'SYSLOG_CONNECT_TIMEOUT' | 'SYSLOG_SEND_FAILED' | 'SYSLOG_SEND_TIMEOUT' | 'SYSLOG_CLOSED';

/**
 * A delivery failure naming the server (`tcp://host:port`). tapir logs it with the plugin's name; the run goes on.
 */
export function syslogError(pluginCode: SyslogErrorCode, server: string, message: string, cause?: unknown): TapirError {
  const reason = cause instanceof Error ? `: ${(cause as NodeJS.ErrnoException).code ?? cause.message}` : '';
  return new TapirError(
    'TAPIR_E_PLUGIN_FAILED',
    `syslog server ${server}: ${message}${reason}`,
    { pluginCode, server },
    cause === undefined ? undefined : { cause },
  );
}
