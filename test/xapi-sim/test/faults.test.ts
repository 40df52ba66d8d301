import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startXapiSimulator, type XapiSimulator } from '../src/index.js';
import { call, httpGet, httpPut, login, waitTask } from './support/xapi-client.js';
import type { Json } from './support/xapi-client.js';

const PASSWORD = 'pw';
const MiB = 1024 * 1024;
let sim: XapiSimulator;
let session: string;

beforeAll(async () => {
  sim = await startXapiSimulator({ password: PASSWORD, vms: [{ name: 'victim', disks: [{ sizeBytes: 8 * MiB }] }] });
  session = await login(sim.url, PASSWORD);
});
afterAll(() => sim.stop());

async function snapshotVdi(): Promise<{ vm: string; vdi: string }> {
  const vm = await call(sim.url, 'VM.snapshot', session, sim.state.vm('victim').ref, 'snap');
  return { vm, vdi: sim.state.vmDisks(vm)[0]!.vdiRef };
}

async function exportWithTask(path: string): Promise<{ res: Awaited<ReturnType<typeof httpGet>>; task: Json }> {
  const task = await call(sim.url, 'task.create', session, 'export', '');
  const res = await httpGet(`${sim.url}${path}&session_id=${session}&task_id=${task}`);
  return { res, task: await waitTask(sim.url, session, task).catch(() => undefined) };
}

describe('transfer faults', () => {
  it('VDI_IO_ERROR mid-export: the body ends short without an HTTP error and the task fails', async () => {
    const { vm } = await snapshotVdi();
    sim.inject({ kind: 'vdi-io-error', handler: '/export', afterBytes: 3 * MiB + 5 });
    const { res, task } = await exportWithTask(`/export?ref=${vm}`);
    expect(res.status).toBe(200);
    expect(res.error).toBeUndefined(); // close-delimited body: looks like a normal end
    expect(res.body.length).toBe(3 * MiB + 5);
    expect(task.status).toBe('failure');
    expect(task.error_info).toEqual(['VDI_IO_ERROR', 'Device I/O errors']);
    // The next export works.
    const again = await exportWithTask(`/export?ref=${vm}`);
    expect(again.task.status).toBe('success');
    expect(again.res.body.length).toBeGreaterThan(8 * MiB);
  });

  it('VDI_IO_ERROR mid raw export: fewer bytes than Content-Length', async () => {
    const { vdi } = await snapshotVdi();
    sim.inject({ kind: 'vdi-io-error', handler: '/export_raw_vdi', afterBytes: MiB });
    const { res, task } = await exportWithTask(`/export_raw_vdi?vdi=${vdi}&format=raw`);
    expect(Number(res.headers['content-length'])).toBe(8 * MiB);
    expect(res.body.length).toBeLessThan(8 * MiB);
    expect(res.error).toBeDefined(); // the client sees a premature close
    expect(task.error_info[0]).toBe('VDI_IO_ERROR');
  });

  it('premature close resets the connection', async () => {
    const { vdi } = await snapshotVdi();
    sim.inject({ kind: 'premature-close', afterBytes: 2 * MiB });
    const { res, task } = await exportWithTask(`/export_raw_vdi?vdi=${vdi}&format=vhd`);
    expect(res.error?.code ?? res.error?.message).toMatch(/ECONNRESET|aborted/);
    expect(task.status).toBe('failure');
  });

  it('a 200 whose body begins with an HTTP status line', async () => {
    const { vdi } = await snapshotVdi();
    sim.inject({ kind: 'http-in-body', handler: '/export_raw_vdi' });
    const { res } = await exportWithTask(`/export_raw_vdi?vdi=${vdi}&format=vhd`);
    expect(res.status).toBe(200);
    expect(res.body.subarray(0, 5).toString()).toBe('HTTP/');
  });

  it('a task destroyed before the transfer completes', async () => {
    const { vdi } = await snapshotVdi();
    sim.inject({ kind: 'task-destroyed', afterBytes: MiB });
    const task = await call(sim.url, 'task.create', session, 'export', '');
    const res = await httpGet(`${sim.url}/export_raw_vdi?vdi=${vdi}&session_id=${session}&task_id=${task}`);
    expect(res.body.length).toBe(8 * MiB);
    await expect(call(sim.url, 'task.get_status', session, task)).rejects.toMatchObject({ code: 'HANDLE_INVALID' });
  });

  it('an injected 302 to another member carries the full query', async () => {
    const { vdi } = await snapshotVdi();
    sim.inject({ kind: 'redirect', toHost: 1 });
    const first = await httpGet(`${sim.url}/export_raw_vdi?session_id=${session}&vdi=${vdi}&format=raw`);
    expect(first.status).toBe(302);
    expect(first.headers['location']).toBe(
      `${sim.hostUrls[1]}/export_raw_vdi?session_id=${session}&vdi=${vdi}&format=raw`,
    );
    expect((await httpGet(String(first.headers['location']))).body.length).toBe(8 * MiB);
  });

  it('VDI_IO_ERROR mid-import: the task fails and nothing is left behind', async () => {
    const { vm } = await snapshotVdi();
    const xva = (await httpGet(`${sim.url}/export?session_id=${session}&ref=${vm}`)).body;
    const before = sim.state.vms().length;
    const vdisBefore = (await call(sim.url, 'VDI.get_all', session)).length;
    sim.inject({ kind: 'vdi-io-error', handler: '/import', afterBytes: 2 * MiB });
    const task = await call(sim.url, 'task.create', session, 'import', '');
    await httpPut(`${sim.url}/import?session_id=${session}&task_id=${task}`, xva);
    const record = await waitTask(sim.url, session, task);
    expect(record.error_info).toEqual(['VDI_IO_ERROR', 'Device I/O errors']);
    expect(sim.state.vms().length).toBe(before);
    expect((await call(sim.url, 'VDI.get_all', session)).length).toBe(vdisBefore);
  });

  it('a cancelled task stops the export', async () => {
    const { vdi } = await snapshotVdi();
    const task = await call(sim.url, 'task.create', session, 'export', '');
    const res = await fetch(`${sim.url}/export_raw_vdi?vdi=${vdi}&session_id=${session}&task_id=${task}`);
    const reader = res.body!.getReader();
    await reader.read();
    await call(sim.url, 'task.cancel', session, task);
    let received = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        received += value.length;
      }
    } catch {
      // the connection is dropped
    }
    expect(received).toBeLessThan(8 * MiB);
    expect((await waitTask(sim.url, session, task)).status).toBe('cancelled');
  });

  it('a host that goes down refuses connections until it comes back', async () => {
    sim.inject({ kind: 'host-down', host: 1 });
    await new Promise((r) => setTimeout(r, 50));
    await expect(fetch(`${sim.hostUrls[1]}/jsonrpc`, { method: 'POST', body: '{}' })).rejects.toThrow();
    sim.inject({ kind: 'host-up', host: 1 });
    await new Promise((r) => setTimeout(r, 50));
    const res = await fetch(`${sim.hostUrls[1]}/jsonrpc`, {
      method: 'POST',
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'session.login_with_password',
        params: ['root', PASSWORD],
      }),
    });
    expect(((await res.json()) as Json).error.message).toBe('HOST_IS_SLAVE');
  });
});
