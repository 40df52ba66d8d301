/** The subset of the untyped `xen-api` 4.x client that this plugin uses. */
declare module 'xen-api' {
  import type { EventEmitter } from 'node:events';
  import type { Readable } from 'node:stream';

  export interface XapiClientOptions {
    url: string;
    auth?: { user: string; password: string };
    allowUnauthorized?: boolean;
    /** `false`, or the classes to watch (`['task']` is enough to follow tasks). */
    watchEvents?: false | string[];
    callTimeout?: number;
    httpInactivityTimeout?: number;
    transport?: 'auto' | 'json-rpc' | 'xml-rpc';
  }

  export class Xapi extends EventEmitter {
    readonly status: 'connected' | 'connecting' | 'disconnected';
    connect(): Promise<void>;
    disconnect(): Promise<void>;
    call<T = unknown>(method: string, ...args: unknown[]): Promise<T>;
    /** The session of a connected client. */
    readonly sessionId: string;
    /** The master's URL (the address logged in to), or its address on the pool's backup network. */
    getHostBackupUrl(host?: unknown): Promise<URL>;
    putResource(
      body: Readable | Buffer | string,
      pathname: string,
      options?: { host?: unknown; query?: Record<string, string>; task?: boolean | string },
    ): Promise<unknown>;
  }

  export function createClient(options: XapiClientOptions): Xapi;
}
