import type { ServerResponse } from 'node:http';
import { completeTask, failTask, isTaskCancelling, setTaskProgress } from '../api/task.js';
import { XapiFailure } from '../model/xapi-failure.js';
import type { TransferRequest } from './transfer-request.js';

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** The failure a `vdi-io-error` fault reports, as XAPI's storage layer words it. */
export const DEVICE_IO_ERROR = new XapiFailure('VDI_IO_ERROR', ['Device I/O errors']);

/**
 * Streams an export body with backpressure, keeps the task's progress, and
 * applies the transfer's fault: `vdi-io-error` ends the body early (cleanly)
 * and fails the task, `premature-close` resets the connection, `http-in-body`
 * prefixes a status line, `task-destroyed` removes the task mid-way. A client
 * that disconnects or a task cancelled through `task.cancel` stops the export.
 */
export async function sendBody(
  transfer: TransferRequest,
  source: AsyncIterable<Buffer>,
  options: { expectedBytes?: number; result?: string[] } = {},
): Promise<void> {
  const { pool, res, taskRef, fault } = transfer;
  let sent = 0;
  let lastProgress = 0;
  const iterator = source[Symbol.asyncIterator]();
  try {
    if (fault?.kind === 'http-in-body') {
      res.write('HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\n\r\n');
    }
    for (;;) {
      if (res.destroyed) {
        failTask(pool, taskRef, new XapiFailure('CLIENT_ERROR', ['the client closed the connection']));
        return;
      }
      if (isTaskCancelling(pool, taskRef)) {
        failTask(pool, taskRef, new XapiFailure('TASK_CANCELLED', [taskRef]));
        res.destroy();
        return;
      }
      const next = await iterator.next();
      if (next.done) break;
      let chunk = next.value;
      const limit =
        fault !== undefined && 'afterBytes' in fault && fault.afterBytes !== undefined ? fault.afterBytes : undefined;
      if (limit !== undefined && sent + chunk.length >= limit) {
        chunk = chunk.subarray(0, Math.max(0, limit - sent));
        if (chunk.length > 0 && !res.write(chunk)) await drained(res);
        sent += chunk.length;
        if (fault!.kind === 'task-destroyed') {
          if (pool.db.has('task', taskRef)) pool.db.destroy('task', taskRef);
          transfer.fault = undefined;
          const rest = next.value.subarray(chunk.length);
          if (rest.length > 0 && !res.write(rest)) await drained(res);
          sent += rest.length;
          continue;
        }
        failTask(
          pool,
          taskRef,
          fault!.kind === 'vdi-io-error' ? DEVICE_IO_ERROR : new XapiFailure('INTERNAL_ERROR', ['connection reset']),
        );
        if (fault!.kind === 'premature-close') {
          // Let the bytes already written reach the client first: a reset discards unsent data,
          // and a reset that arrives with data still queued reads as a clean end on Linux.
          await new Promise((resolve) => setTimeout(resolve, 25));
          res.socket?.resetAndDestroy();
        } else res.end();
        return;
      }
      if (!res.write(chunk)) await drained(res);
      sent += chunk.length;
      if (options.expectedBytes !== undefined) {
        const progress = sent / options.expectedBytes;
        if (progress - lastProgress >= 0.05) {
          lastProgress = progress;
          setTaskProgress(pool, taskRef, Math.min(0.99, progress));
        }
      }
    }
    await new Promise<void>((resolve) => res.end(resolve));
    completeTask(pool, taskRef, options.result);
  } catch (error) {
    failTask(pool, taskRef, error instanceof XapiFailure ? error : new XapiFailure('INTERNAL_ERROR', [String(error)]));
    res.destroy();
  } finally {
    await iterator.return?.();
  }
}
