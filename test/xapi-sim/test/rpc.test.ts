import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startXapiSimulator, type XapiSimulator } from '../src/index.js';
import { call, callXml, login, postJson, RpcError, taskResult, waitTask } from './support/xapi-client.js';
import type { Json } from './support/xapi-client.js';

const PASSWORD = 'sim-secret';
let sim: XapiSimulator;

beforeAll(async () => {
  sim = await startXapiSimulator({
    hosts: 3,
    password: PASSWORD,
    vms: [{ name: 'web', disks: [{ sizeBytes: 4 << 20 }] }],
  });
});
afterAll(() => sim.stop());

async function failure(promise: Promise<unknown>): Promise<RpcError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof RpcError) return error;
    throw error;
  }
  throw new Error('expected an API error');
}

describe('sessions over JSON-RPC', () => {
  it('answers with exactly application/json and a 2.0 envelope', async () => {
    const res = await postJson(sim.url, 'session.login_with_password', ['root', PASSWORD]);
    expect(res.status).toBe(200);
    expect(res.contentType).toBe('application/json');
    expect(res.body).toMatchObject({ jsonrpc: '2.0', id: 0 });
    expect(res.body.result).toMatch(/^OpaqueRef:/);
  });

  it('rejects a wrong password with SESSION_AUTHENTICATION_FAILED, code 1, HTTP 200', async () => {
    const res = await postJson(sim.url, 'session.login_with_password', ['root', 'wrong']);
    expect(res.status).toBe(200);
    expect(res.body.error).toEqual({
      code: 1,
      message: 'SESSION_AUTHENTICATION_FAILED',
      data: ['root', 'Authentication failure'],
    });
  });

  it('invalidates a session on logout', async () => {
    const session = await login(sim.url, PASSWORD);
    await call(sim.url, 'session.logout', session);
    const error = await failure(call(sim.url, 'VM.get_all', session));
    expect(error.code).toBe('SESSION_INVALID');
    expect(error.params).toEqual([session]);
  });

  it('answers HOST_IS_SLAVE with the master address from a slave, login included', async () => {
    const error = await failure(login(sim.hostUrls[1]!, PASSWORD));
    expect(error.code).toBe('HOST_IS_SLAVE');
    expect(error.params).toEqual(['127.0.0.1']);
  });

  it('follows a master change: the old master becomes a slave, sessions survive', async () => {
    const session = await login(sim.url, PASSWORD);
    sim.inject({ kind: 'master-change', toHost: 2 });
    try {
      const error = await failure(call(sim.url, 'pool.get_all', session));
      expect(error).toMatchObject({ code: 'HOST_IS_SLAVE', params: ['127.0.0.3'] });
      const pools = await call(sim.hostUrls[2]!, 'pool.get_all_records', session);
      const pool = Object.values(pools)[0] as { master: string };
      expect(await call(sim.hostUrls[2]!, 'host.get_address', session, pool.master)).toBe('127.0.0.3');
    } finally {
      sim.inject({ kind: 'master-change', toHost: 0 });
    }
  });

  it('checks message names and parameter counts (session included in the count)', async () => {
    const session = await login(sim.url, PASSWORD);
    expect(await failure(call(sim.url, 'VM.frobnicate', session))).toMatchObject({
      code: 'MESSAGE_METHOD_UNKNOWN',
      params: ['VM.frobnicate'],
    });
    expect(await failure(call(sim.url, 'VM.get_record', session))).toMatchObject({
      code: 'MESSAGE_PARAMETER_COUNT_MISMATCH',
      params: ['VM.get_record', '2', '1'],
    });
    expect(await failure(call(sim.url, 'VM.get_record', session, 'OpaqueRef:nope'))).toMatchObject({
      code: 'HANDLE_INVALID',
      params: ['VM', 'OpaqueRef:nope'],
    });
  });
});

describe('XML-RPC', () => {
  it('answers text/xml with Status/Value and encodes ints as strings', async () => {
    const login = await callXml(sim.url, 'session.login_with_password', 'root', PASSWORD);
    expect(login.contentType).toBe('text/xml');
    expect(login.reply.Status).toBe('Success');
    const session = login.reply.Value as string;
    const vm = sim.state.vm('web');
    const record = await callXml(sim.url, 'VM.get_record', session, vm.ref);
    expect(record.text).not.toContain('<fault>');
    expect(record.reply.Value.VCPUs_max).toBe('1');
    expect(record.text).toContain('<dateTime.iso8601>');
  });

  it('reports failures as Status Failure with ErrorDescription', async () => {
    const reply = await callXml(sim.url, 'session.login_with_password', 'root', 'bad');
    expect(reply.reply).toEqual({
      Status: 'Failure',
      ErrorDescription: ['SESSION_AUTHENTICATION_FAILED', 'root', 'Authentication failure'],
    });
  });
});

describe('objects, tasks and events', () => {
  it('lists classes through system.listMethods and reads records', async () => {
    const methods: string[] = await call(sim.url, 'system.listMethods');
    for (const name of [
      'VM.get_all_records',
      'VDI.list_changed_blocks',
      'event.from',
      'task.create',
      'pool.add_to_other_config',
    ]) {
      expect(methods).toContain(name);
    }
    const session = await login(sim.url, PASSWORD);
    const vms = await call(sim.url, 'VM.get_all_records', session);
    const names = Object.values(vms).map((r: Json) => r.name_label);
    expect(names).toContain('web');
    expect(Object.values(vms).filter((r: Json) => r.is_control_domain)).toHaveLength(3);
  });

  it('runs Async calls as tasks whose result is an XML-RPC value', async () => {
    const session = await login(sim.url, PASSWORD);
    const vm = sim.state.vm('web');
    const task = await call(sim.url, 'Async.VM.snapshot', session, vm.ref, 'async snap');
    expect(task).toMatch(/^OpaqueRef:/);
    const record = await waitTask(sim.url, session, task);
    expect(record.status).toBe('success');
    expect(record.result).toMatch(/^<value>OpaqueRef:[^<]+<\/value>$/);
    const snapshot = taskResult(record.result) as string;
    expect(await call(sim.url, 'VM.get_is_a_snapshot', session, snapshot)).toBe(true);
    const failed = await waitTask(
      sim.url,
      session,
      await call(sim.url, 'Async.VM.start', session, vm.ref, false, false),
    );
    expect(failed.status).toBe('failure');
    expect(failed.error_info).toEqual(['VM_BAD_POWER_STATE', vm.ref, 'halted', 'running']);
  });

  it('returns changes from event.from with an exact valid_ref_counts and a new token', async () => {
    const session = await login(sim.url, PASSWORD);
    const initial = await call(sim.url, 'event.from', session, ['*'], '', 0.1);
    expect(initial.valid_ref_counts.task).toBe((await call(sim.url, 'task.get_all', session)).length);
    const token = initial.token;
    const pending = call(sim.url, 'event.from', session, ['vm', 'pool'], token, 10);
    const vm = sim.state.vm('web');
    await call(sim.url, 'VM.add_tags', session, vm.ref, 'backup');
    const result = await pending;
    const event = result.events.find((e: Json) => e.ref === vm.ref);
    expect(event).toMatchObject({ class: 'vm', operation: 'mod' });
    expect(event.snapshot.tags).toContain('backup');
    expect(result.token).not.toBe(token);
    expect(result.valid_ref_counts.vm).toBeGreaterThan(0);

    const pool = Object.keys(await call(sim.url, 'pool.get_all_records', session))[0]!;
    await call(sim.url, 'pool.add_to_other_config', session, pool, 'xo:barrier:1', 'x');
    const barrier = await call(sim.url, 'event.from', session, ['pool'], result.token, 5);
    expect(barrier.events).toHaveLength(1);
    expect(barrier.events[0].snapshot.other_config['xo:barrier:1']).toBe('x');
    expect(await failure(call(sim.url, 'pool.add_to_other_config', session, pool, 'xo:barrier:1', 'y'))).toMatchObject({
      code: 'MAP_DUPLICATE_KEY',
    });
  });

  it('times out an idle event.from with no events and the same position', async () => {
    const session = await login(sim.url, PASSWORD);
    const { token } = await call(sim.url, 'event.from', session, ['sr'], '', 0);
    const started = Date.now();
    const idle = await call(sim.url, 'event.from', session, ['sr'], token, 0.3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(idle.events).toEqual([]);
  });

  it('answers EVENTS_LOST when injected, and event.inject emits a mod event', async () => {
    const session = await login(sim.url, PASSWORD);
    const { token } = await call(sim.url, 'event.from', session, ['*'], '', 0);
    sim.inject({ kind: 'events-lost' });
    expect((await failure(call(sim.url, 'event.from', session, ['*'], token, 0))).code).toBe('EVENTS_LOST');
    const fresh = await call(sim.url, 'event.from', session, ['pool'], '', 0);
    const pool = fresh.events[0].ref;
    const injected = await call(sim.url, 'event.inject', session, 'pool', pool);
    expect(typeof injected).toBe('string');
    const after = await call(sim.url, 'event.from', session, ['pool'], fresh.token, 1);
    expect(after.events.map((e: Json) => [e.class, e.operation])).toEqual([['pool', 'mod']]);
  });

  it('fails the next matching call with an injected API error', async () => {
    const session = await login(sim.url, PASSWORD);
    sim.inject({
      kind: 'call-error',
      method: 'VM.get_all',
      code: 'SR_BACKEND_FAILURE_44',
      params: ['', 'There is insufficient space', ''],
    });
    expect((await failure(call(sim.url, 'VM.get_all', session))).code).toBe('SR_BACKEND_FAILURE_44');
    expect(await call(sim.url, 'VM.get_all', session)).toBeInstanceOf(Array);
    sim.inject({ kind: 'sessions-invalidated' });
    expect((await failure(call(sim.url, 'VM.get_all', session))).code).toBe('SESSION_INVALID');
  });
});
