import { NULL_REF, newUuid } from '../model/opaque-ref.js';
import { XapiDateTime } from '../model/xapi-date-time.js';
import { XapiFailure } from '../model/xapi-failure.js';
import type { XapiPool } from '../model/xapi-pool.js';
import type { XapiRecord, XapiValue } from '../model/xapi-value.js';
import { encodeXmlRpcValue } from '../rpc/xml-rpc-codec.js';
import { refArg, stringArg } from './args.js';
import type { MethodGroup } from './method-table.js';

/** A fresh `task` record in state `pending`. */
export function newTaskRecord(label: string, description: string, hostRef: string): XapiRecord {
  return {
    uuid: newUuid(),
    name_label: label,
    name_description: description,
    allowed_operations: ['cancel'],
    current_operations: {},
    created: XapiDateTime.now(),
    finished: new XapiDateTime(new Date(0)),
    status: 'pending',
    resident_on: hostRef,
    progress: 0,
    type: '',
    result: '',
    error_info: [],
    other_config: {},
    subtask_of: NULL_REF,
    subtasks: [],
    backtrace: '()',
  };
}

/** Creates a pending task and returns its reference. */
export function createTask(pool: XapiPool, label: string, description: string, hostRef: string): string {
  return pool.db.create('task', newTaskRecord(label, description, hostRef));
}

/** Whether the task exists and is still pending (not finished, cancelled or destroyed). */
export function isTaskPending(pool: XapiPool, ref: string): boolean {
  return pool.db.find('task', ref)?.['status'] === 'pending';
}

/** Whether someone asked to cancel the task. */
export function isTaskCancelling(pool: XapiPool, ref: string): boolean {
  return pool.db.find('task', ref)?.['status'] === 'cancelling';
}

/** Sets a pending task's progress (0–1). */
export function setTaskProgress(pool: XapiPool, ref: string, progress: number): void {
  if (!isTaskPending(pool, ref)) return;
  pool.db.update('task', ref, (t) => {
    t['progress'] = Math.min(1, Math.max(0, progress));
  });
}

/**
 * Marks a task `success`. `result` is stored XML-RPC-serialized
 * (`<value>OpaqueRef:…</value>`), as XAPI does; no result is `""`.
 */
export function completeTask(pool: XapiPool, ref: string, result?: XapiValue): void {
  if (!pool.db.has('task', ref)) return;
  const status = pool.db.get('task', ref)['status'];
  if (status !== 'pending' && status !== 'cancelling') return;
  pool.db.update('task', ref, (t) => {
    t['status'] = 'success';
    t['progress'] = 1;
    t['finished'] = XapiDateTime.now();
    t['result'] = result === undefined ? '' : encodeXmlRpcValue(result);
    t['allowed_operations'] = [];
  });
}

/** Marks a task `failure` (or `cancelled` for `TASK_CANCELLED`) with `error_info` = `[code, ...params]`. */
export function failTask(pool: XapiPool, ref: string, failure: XapiFailure): void {
  if (!pool.db.has('task', ref)) return;
  const status = pool.db.get('task', ref)['status'];
  if (status !== 'pending' && status !== 'cancelling') return;
  pool.db.update('task', ref, (t) => {
    t['status'] = failure.code === 'TASK_CANCELLED' ? 'cancelled' : 'failure';
    t['finished'] = XapiDateTime.now();
    t['error_info'] = failure.description;
    t['allowed_operations'] = [];
  });
}

/** `task.*` messages. */
export const taskMethods: MethodGroup = {
  'task.create': {
    params: ['label', 'description'],
    run: (ctx, [label, description]) =>
      createTask(ctx.pool, stringArg(label, 'label'), stringArg(description, 'description'), ctx.hostRef),
  },
  'task.destroy': {
    params: ['task'],
    run: (ctx, [task]) => {
      ctx.pool.db.destroy('task', refArg(ctx.pool, 'task', task));
      return '';
    },
  },
  'task.cancel': {
    params: ['task'],
    run: (ctx, [task]) => {
      const ref = refArg(ctx.pool, 'task', task);
      if (!isTaskPending(ctx.pool, ref)) throw new XapiFailure('OPERATION_NOT_ALLOWED', ['task is not pending']);
      ctx.pool.db.update('task', ref, (t) => {
        t['status'] = 'cancelling';
        t['current_operations'] = { [newUuid()]: 'cancel' };
      });
      return '';
    },
  },
  'task.set_status': {
    params: ['task', 'value'],
    run: (ctx, [task, value]) => {
      const ref = refArg(ctx.pool, 'task', task);
      ctx.pool.db.update('task', ref, (t) => {
        t['status'] = stringArg(value, 'value');
      });
      return '';
    },
  },
  'task.set_progress': {
    params: ['task', 'value'],
    run: (ctx, [task, value]) => {
      setTaskProgress(ctx.pool, refArg(ctx.pool, 'task', task), Number(value));
      return '';
    },
  },
};
