import { Readable } from 'node:stream';
import { type ChunkBuffers, type ErrorCode, TapirError } from '@tapir/sdk';
// At run time xen-api is one bundled module (`#xen-api`, scripts/vendor-bundles.mjs): with its dependencies it was
// ~300 CommonJS files and 96–105 ms of every job's start; bundled, 55–59 ms.
import { createClient } from '#xen-api';
import type { Xapi } from 'xen-api';
import { httpGet } from './httpGet.js';
import { parseTaskResult } from './taskResult.js';
import { safeUrl, translateXapiError, xapiCode } from './xapiErrors.js';

/** Task polling: from a short first look (most simulator and small-VM tasks end within ms) up to once a second. */
const FIRST_POLL_MS = 10;
const LAST_POLL_MS = 1000;
/** How long a failed transfer waits for its task to say why, before reporting the transfer's own error. */
const FAILURE_LOOKUP_MS = 5000;

/** A transfer that receives nothing for this long fails (xen-api's default too). */
const INACTIVITY_MS = 5 * 60_000;

/** A task still running at the deadline of {@link XapiConnection.awaitTask}. */
class TaskStillPending extends Error {}

/** Where and how to log in to a pool. */
export interface XapiCredentials {
  /** Any pool member; a non-master answers `HOST_IS_SLAVE` and the master is followed. */
  url: string;
  /** @defaultValue root */
  username?: string;
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
  /** Tasks seen ended by {@link awaitTask}: destroyed without a cancel first. */
  private readonly endedTasks = new Set<string>();
  private constructor(
    private readonly client: Xapi,
    url: string,
    private readonly errorCode: ErrorCode,
    private readonly allowUnauthorized: boolean,
  ) {
    this.url = url;
  }

  /** Logs in (following the master) and returns the connection. */
  static async open(credentials: XapiCredentials, errorCode: ErrorCode): Promise<XapiConnection> {
    const url = safeUrl(credentials.url);
    const client = createClient({
      url: credentials.url,
      auth: { user: credentials.username ?? 'root', password: credentials.password },
      allowUnauthorized: credentials.allowUnauthorized ?? true,
      // No event loop: tasks are polled (see awaitTask), so nothing is left running after disconnect().
      watchEvents: false,
    });
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
    return new XapiConnection(client, url, errorCode, credentials.allowUnauthorized ?? true);
  }

  /** Calls a XAPI method (the session is added); errors become TapirErrors. */
  async call<T = unknown>(method: string, ...args: unknown[]): Promise<T> {
    try {
      return await this.client.call<T>(method, ...args);
    } catch (error) {
      throw this.error(error, method);
    }
  }

  /**
   * Like {@link call} but through `Async.<method>` and its task, for long operations (snapshots, shutdowns): the
   * task is polled until it ends, its result returned or its error thrown, and then destroyed.
   */
  async callAsync<T = unknown>(method: string, ...args: unknown[]): Promise<T> {
    let task: string;
    try {
      task = await this.client.call<string>(`Async.${method}`, ...args);
    } catch (error) {
      throw this.error(error, method);
    }
    try {
      return (await this.awaitTask(task, method)) as T;
    } finally {
      await this.destroyTask(task);
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
   * Streams a GET data handler (`/export`, `/export_raw_vdi`) bound to a task of its own. The task is awaited after
   * the body ends: XAPI closes an export cleanly even when it failed (`VDI_IO_ERROR`), and only the task tells.
   */
  async *download(
    pathname: string,
    query: Record<string, string>,
    what: string,
    signal: AbortSignal,
    buffers?: ChunkBuffers,
  ): AsyncGenerator<Uint8Array> {
    const cancelled = (): TapirError =>
      signal.reason instanceof TapirError ? signal.reason : new TapirError('TAPIR_E_ABORTED', 'the run was cancelled');
    const task = await this.createTask(what);
    try {
      let body;
      try {
        // The master's address, or the pool's backup network when one is set (as xen-api's own transfers do).
        const url = new URL(pathname, await this.client.getHostBackupUrl());
        for (const [key, value] of Object.entries({ ...query, session_id: this.client.sessionId, task_id: task }))
          url.searchParams.set(key, value);
        body = await httpGet(url, {
          allowUnauthorized: this.allowUnauthorized,
          inactivityMs: INACTIVITY_MS,
          signal,
          ...(buffers ? { buffers } : {}),
        });
      } catch (error) {
        if (signal.aborted) throw cancelled();
        throw this.error((await this.taskError(task, FAILURE_LOOKUP_MS)) ?? error, what);
      }
      try {
        for await (const chunk of body) yield chunk;
      } catch (error) {
        if (signal.aborted) throw cancelled();
        // A reset mid-body: the task says why when it can.
        throw this.error((await this.taskError(task, FAILURE_LOOKUP_MS)) ?? error, what);
      } finally {
        body.destroy();
      }
      await this.awaitTask(task, what);
    } finally {
      await this.destroyTask(task);
    }
  }

  /** PUTs a body to a data handler (`/import`, `/import_raw_vdi`) bound to a task, and returns the task's result. */
  async upload(
    pathname: string,
    query: Record<string, string>,
    body: AsyncIterable<Uint8Array>,
    length: number | undefined,
    what: string,
  ): Promise<unknown> {
    const task = await this.createTask(what);
    const stream = Readable.from(body, { objectMode: false });
    // With a known length, xen-api sends it instead of its 1 PiB content-length workaround.
    if (length !== undefined) Object.assign(stream, { length });
    try {
      try {
        await this.client.putResource(stream, pathname, { query: { ...query, task_id: task } });
      } catch (error) {
        throw this.error((await this.taskError(task, FAILURE_LOOKUP_MS)) ?? error, what);
      }
      const result = await this.awaitTask(task, what);
      return result;
    } finally {
      stream.destroy();
      await this.destroyTask(task);
    }
  }

  /**
   * Polls a task until it leaves `pending`, then returns its result (parsed from XML-RPC) or throws its
   * `error_info`. Polling rather than xen-api's event loop: that loop holds an `event.from` request open for a
   * minute and outlives `disconnect()`, keeping the process alive after the work is done.
   */
  private async awaitTask(task: string, what: string, deadline = Infinity): Promise<unknown> {
    let wait = FIRST_POLL_MS;
    for (;;) {
      let record: XapiRecord | undefined;
      try {
        record = await this.client.call<XapiRecord>('task.get_record', task);
      } catch (error) {
        const translated = this.error(error, what);
        if (xapiCode(error) !== 'HANDLE_INVALID') throw translated;
        throw new TapirError(
          this.errorCode,
          `${what}: its XAPI task ${task} was destroyed before it finished`,
          translated.context,
          { cause: translated.cause },
        );
      }
      if (record.status !== 'pending' && record.status !== 'cancelling') this.endedTasks.add(task);
      switch (record.status) {
        case 'success':
          try {
            return parseTaskResult(String(record.result ?? ''));
          } catch (error) {
            throw new TapirError(
              this.errorCode,
              `${what}: XAPI's task result is not an XML-RPC value (${String(record.result).slice(0, 80)})`,
              { url: this.url },
              { cause: error },
            );
          }
        case 'failure':
        case 'cancelled': {
          const info = Array.isArray(record.error_info) ? record.error_info.map(String) : [];
          const [code = record.status === 'cancelled' ? 'TASK_CANCELLED' : 'INTERNAL_ERROR', ...params] = info;
          throw this.error(Object.assign(new Error(`${code}(${params.join(', ')})`), { code, params }), what);
        }
      }
      if (Date.now() + wait > deadline) throw new TaskStillPending();
      await new Promise((resolve) => setTimeout(resolve, wait));
      wait = Math.min(wait * 2, LAST_POLL_MS);
    }
  }

  /** The task's error once it ends within `ms`; undefined when it succeeded, still runs, or cannot be read. */
  private async taskError(task: string, ms: number): Promise<unknown> {
    try {
      await this.awaitTask(task, 'transfer', Date.now() + ms);
      return undefined;
    } catch (error) {
      if (error instanceof TaskStillPending) return undefined;
      if (error instanceof TapirError && error.context.pluginCode === 'HANDLE_INVALID') return undefined;
      return error;
    }
  }

  private async createTask(what: string): Promise<string> {
    return this.call<string>('task.create', `tapir: ${what}`, '');
  }

  /** Destroys a task; one that has not ended (an interrupted transfer) is cancelled first. Never throws. */
  private async destroyTask(task: string): Promise<void> {
    if (!this.endedTasks.delete(task)) await this.client.call('task.cancel', task).catch(() => {});
    await this.client.call('task.destroy', task).catch(() => {});
  }

  /** Logs out. Never throws. */
  async close(): Promise<void> {
    await this.client.disconnect().catch(() => {});
  }

  private error(error: unknown, what: string): TapirError {
    return translateXapiError(error, what, this.errorCode, { url: this.url });
  }
}
