import { eventMethods } from '../api/event.js';
import { genericAccessor } from '../api/generic-accessors.js';
import { hostMethods } from '../api/host.js';
import { MethodTable, type CallContext, type MethodSpec } from '../api/method-table.js';
import { poolMethods } from '../api/pool.js';
import { sessionMethods } from '../api/session.js';
import { srMethods } from '../api/sr.js';
import { systemMethods } from '../api/system.js';
import { completeTask, createTask, failTask, isTaskCancelling } from '../api/task.js';
import { taskMethods } from '../api/task.js';
import { vbdMethods } from '../api/vbd.js';
import { vdiMethods } from '../api/vdi.js';
import { vifMethods } from '../api/vif.js';
import { vmMethods } from '../api/vm.js';
import { migrateVm } from '../api/vm-power.js';
import { XapiFailure } from '../model/xapi-failure.js';
import type { XapiPool } from '../model/xapi-pool.js';
import type { XapiValue } from '../model/xapi-value.js';
import { findVm } from '../model/find-vm.js';

/** Builds the table of every message the simulator answers. */
export function buildMethodTable(): MethodTable {
  const table = new MethodTable();
  table
    .add(sessionMethods)
    .add(poolMethods)
    .add(hostMethods)
    .add(vmMethods)
    .add(vbdMethods)
    .add(vdiMethods)
    .add(vifMethods)
    .add(srMethods)
    .add(taskMethods)
    .add(eventMethods);
  table.add(systemMethods(table));
  return table;
}

/**
 * Runs XenAPI calls for one pool, whatever the wire encoding: the checks XAPI
 * makes before a message runs (master, message, parameter count, session),
 * injected faults, and `Async.*` tasks.
 */
export class RpcDispatcher {
  private readonly table = buildMethodTable();

  constructor(
    private readonly pool: XapiPool,
    private readonly signal: AbortSignal,
  ) {}

  /** Calls `method` as received by host `hostRef`; throws {@link XapiFailure} for API errors. */
  async call(hostRef: string, method: string, params: XapiValue[]): Promise<XapiValue> {
    const pool = this.pool;
    if (hostRef !== pool.masterRef) throw new XapiFailure('HOST_IS_SLAVE', [pool.master.address]);
    for (const due of pool.faults.takeDueMigrations()) {
      const vm = findVm(pool, due.vm);
      migrateVm(pool, vm, pool.hostAt(due.toHost).ref);
    }
    const isAsync = method.startsWith('Async.');
    const name = isAsync ? method.slice('Async.'.length) : method;
    const spec: MethodSpec | undefined = this.table.lookup(name) ?? genericAccessor(name);
    if (spec === undefined) throw new XapiFailure('MESSAGE_METHOD_UNKNOWN', [method]);
    const expected = spec.params.length + (spec.sessionless ? 0 : 1);
    const minimum = expected - (spec.optional ?? 0);
    if (params.length < minimum || params.length > expected) {
      throw new XapiFailure('MESSAGE_PARAMETER_COUNT_MISMATCH', [name, String(expected), String(params.length)]);
    }
    const session = spec.sessionless ? undefined : pool.requireSession(params[0]);
    const args = spec.sessionless ? params : params.slice(1);
    const fault = pool.faults.takeCallError(name);
    if (fault !== undefined) throw new XapiFailure(fault.code, fault.params ?? []);
    const ctx: CallContext = { pool, hostRef, session, signal: this.signal };
    if (!isAsync) return this.run(spec, ctx, args);

    const taskRef = createTask(pool, method, '', hostRef);
    const delay = pool.behaviour.asyncTaskDelayMs;
    setTimeout(() => {
      if (isTaskCancelling(pool, taskRef)) {
        failTask(pool, taskRef, new XapiFailure('TASK_CANCELLED', [taskRef]));
        return;
      }
      this.run(spec, { ...ctx, taskRef }, args).then(
        (result) => completeTask(pool, taskRef, result),
        (error: unknown) => failTask(pool, taskRef, asFailure(error)),
      );
    }, delay);
    return taskRef;
  }

  private async run(spec: MethodSpec, ctx: CallContext, args: XapiValue[]): Promise<XapiValue> {
    try {
      return await spec.run(ctx, args);
    } catch (error) {
      throw asFailure(error);
    }
  }
}

/** Any error as an API error; unexpected ones become `INTERNAL_ERROR`. */
export function asFailure(error: unknown): XapiFailure {
  if (error instanceof XapiFailure) return error;
  return new XapiFailure('INTERNAL_ERROR', [error instanceof Error ? error.message : String(error)]);
}
