import { Readable } from 'node:stream';
import { type ErrorCode, TapirError } from '@tapir/sdk';
import { createClient, type Xapi } from 'xen-api';
import { safeUrl, translateXapiError, xapiCode } from './xapiErrors.js';

/** Where and how to log in to a pool. */
export interface XapiCredentials {
  /** Any pool member; a non-master answers `HOST_IS_SLAVE` and the master is followed. */
  url: string;
  username: string;
  password: string;
  /** Accept self-signed certificates (XenServer's default). */
  allowUnauthorized?: boolean;
  /** How long login may take, in ms. */
  connectTimeoutMs?: number;
}

/** A XAPI record as JSON-RPC returns it. */
export type XapiRecord = Record<string, unknown>;

/**
 * One logged-in session to a pool, with every failure translated into a {@link TapirError} carrying
 * `errorCode` (the source's or the restore target's "unavailable" code).
 */
export class XapiConnection {
  readonly url: string;
  private constructor(
    private readonly client: Xapi,
    url: string,
    private readonly errorCode: ErrorCode,
  ) {
    this.url = url;
  }

  /** Logs in (following the master) and returns the connection. */
  static async open(credentials: XapiCredentials, errorCode: ErrorCode): Promise<XapiConnection> {
    const url = safeUrl(credentials.url);
    const client = createClient({
      url: credentials.url,
      auth: { user: credentials.username, password: credentials.password },
      allowUnauthorized: credentials.allowUnauthorized ?? true,
      watchEvents: ['task'],
    });
    // xen-api emits 'error' on its event loop; a listener keeps it from crashing the process.
    client.on('error', () => {});
    const timeout = credentials.connectTimeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        client.connect(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(Object.assign(new Error(`login timed out after ${timeout} ms`), { code: 'ETIMEDOUT' })),
            timeout,
          );
        }),
      ]);
    } catch (error) {
      await client.disconnect().catch(() => {});
      throw translateXapiError(error, `login to ${url}`, errorCode, { url });
    } finally {
      clearTimeout(timer);
    }
    return new XapiConnection(client, url, errorCode);
  }

  /** Calls a XAPI method (the session is added); errors become TapirErrors. */
  async call<T = unknown>(method: string, ...args: unknown[]): Promise<T> {
    try {
      return await this.client.call<T>(method, ...args);
    } catch (error) {
      throw this.error(error, method);
    }
  }

  /** Like {@link call} but through `Async.<method>` and its task, for long operations (snapshots, shutdowns). */
  async callAsync<T = unknown>(method: string, ...args: unknown[]): Promise<T> {
    try {
      return await this.client.callAsync<T>(method, ...args);
    } catch (error) {
      throw this.error(error, method);
    }
  }

  /** Calls `method`; on the XAPI error codes given, returns undefined instead of throwing. */
  async tryCall<T = unknown>(codes: string[], method: string, ...args: unknown[]): Promise<T | undefined> {
    try {
      return await this.client.call<T>(method, ...args);
    } catch (error) {
      if (codes.includes(xapiCode(error) ?? '')) return undefined;
      throw this.error(error, method);
    }
  }

  /**
   * Streams a GET data handler (`/export`, `/export_raw_vdi`). The task bound to the transfer is awaited after the
   * body ends: XAPI closes an export cleanly even when it failed (`VDI_IO_ERROR`), and only the task tells.
   */
  async *download(
    pathname: string,
    query: Record<string, string>,
    what: string,
    signal: AbortSignal,
  ): AsyncGenerator<Uint8Array> {
    let response;
    try {
      response = await this.client.getResource(pathname, { query });
    } catch (error) {
      throw this.error(error, what);
    }
    const body = response.body;
    const abort = (): void => {
      body.destroy(new TapirError('TAPIR_E_ABORTED', 'the run was cancelled'));
    };
    signal.addEventListener('abort', abort, { once: true });
    let complete = false;
    try {
      for await (const chunk of body) yield chunk as Uint8Array;
      complete = true;
    } catch (error) {
      if (signal.aborted) throw error;
      // A reset mid-body: the task says why when it can.
      const taskError = await settle(response.task);
      throw this.error(taskError ?? error, what);
    } finally {
      signal.removeEventListener('abort', abort);
      if (!complete) body.destroy();
    }
    const taskError = await settle(response.task);
    if (taskError !== undefined) throw this.error(taskError, what);
  }

  /** PUTs a body to a data handler (`/import`, `/import_raw_vdi`) and returns the task's result. */
  async upload(
    pathname: string,
    query: Record<string, string>,
    body: AsyncIterable<Uint8Array>,
    length: number | undefined,
    what: string,
  ): Promise<unknown> {
    const stream = Readable.from(body, { objectMode: false });
    // With a known length, xen-api sends it instead of its 1 PiB content-length workaround.
    if (length !== undefined) Object.assign(stream, { length });
    try {
      return await this.client.putResource(stream, pathname, { query });
    } catch (error) {
      throw this.error(error, what);
    } finally {
      stream.destroy();
    }
  }

  /** Logs out. Never throws. */
  async close(): Promise<void> {
    await this.client.disconnect().catch(() => {});
  }

  private error(error: unknown, what: string): TapirError {
    return translateXapiError(error, what, this.errorCode, { url: this.url });
  }
}

/** Waits for a task promise and returns its error, or undefined when it succeeded (or there is none). */
async function settle(task: Promise<unknown> | undefined): Promise<unknown> {
  if (task === undefined) return undefined;
  try {
    await task;
    return undefined;
  } catch (error) {
    return error ?? new Error('the task failed');
  }
}
