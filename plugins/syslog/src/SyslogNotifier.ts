import type { Notifier, RunEvent } from '@tapir/sdk';
import { eventMessage, SD_ID } from './eventMessage.js';
import { formatSyslogMessage } from './formatSyslogMessage.js';
import { syslogError } from './syslogError.js';
import { serverName, type SyslogSender } from './SyslogSender.js';
import type { ResolvedSyslogOptions } from './SyslogOptions.js';
import { TcpSender } from './TcpSender.js';
import { UdpSender } from './UdpSender.js';

/**
 * The `syslog` notifier: each run event it is configured for becomes one RFC 5424 message, sent in the order the
 * events came.
 *
 * @remarks
 * `notify` resolves once the message has left the process and rejects with a `TapirError`
 * (`TAPIR_E_PLUGIN_FAILED`, the reason in `context.pluginCode`) when it cannot be sent; tapir logs that and goes on.
 */
export class SyslogNotifier implements Notifier {
  private readonly sender: SyslogSender;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly options: ResolvedSyslogOptions) {
    const { transport, host, port, timeoutMs } = options;
    this.sender = transport === 'tcp' ? new TcpSender(host, port, timeoutMs) : new UdpSender(host, port, timeoutMs);
  }

  notify(event: RunEvent): Promise<void> {
    if (!this.options.events.has(event.type)) return Promise.resolve();
    const { host, port, transport } = this.options;
    if (this.closed)
      return Promise.reject(syslogError('SYSLOG_CLOSED', serverName(transport, host, port), 'the notifier is closed'));
    const message = this.format(event);
    const sent = this.queue.then(() => this.sender.send(message));
    this.queue = sent.catch(() => {});
    return sent;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    await this.sender.close();
  }

  private format(event: RunEvent): Buffer {
    const { severity, msgId, params, text, at } = eventMessage(event);
    const time = at === undefined ? new Date() : new Date(at);
    return formatSyslogMessage(
      {
        facility: this.options.facility,
        severity,
        timestamp: Number.isNaN(time.getTime()) ? new Date() : time,
        hostname: this.options.hostname,
        appName: this.options.appName,
        procId: String(process.pid),
        msgId,
        structuredData: [{ id: SD_ID, params }],
        text,
      },
      this.options.maxMessageBytes,
    );
  }
}
