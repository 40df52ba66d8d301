/** Delivers formatted syslog messages to one server. */
export interface SyslogSender {
  /** Sends one message; resolves once it has left this process (UDP: the datagram; TCP: the framed bytes). */
  send(message: Buffer): Promise<void>;
  /** Lets pending bytes out and releases the socket. Idempotent. */
  close(): Promise<void>;
}

/** The server as messages name it: `tcp://host:port`, `udp://[::1]:514`. */
export function serverName(transport: 'udp' | 'tcp', host: string, port: number): string {
  return `${transport}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
