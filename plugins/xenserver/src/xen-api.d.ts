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

  /** A transfer response: an undici body plus the promise of the task bound to it. */
  export interface XapiResource {
    statusCode: number;
    headers: Record<string, string | string[] | undefined>;
    body: Readable;
    task?: Promise<unknown>;
  }

  export class Xapi extends EventEmitter {
    readonly status: 'connected' | 'connecting' | 'disconnected';
    connect(): Promise<void>;
    disconnect(): Promise<void>;
    call<T = unknown>(method: string, ...args: unknown[]): Promise<T>;
    callAsync<T = unknown>(method: string, ...args: unknown[]): Promise<T>;
    getResource(
      pathname: string,
      options?: { host?: unknown; query?: Record<string, string>; task?: boolean | string },
    ): Promise<XapiResource>;
    putResource(
      body: Readable | Buffer | string,
      pathname: string,
      options?: { host?: unknown; query?: Record<string, string>; task?: boolean | string },
    ): Promise<unknown>;
  }

  export function createClient(options: XapiClientOptions): Xapi;
}
