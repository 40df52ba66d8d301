import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { startXapiSimulator, VHD_BLOCK_SIZE, type XapiSimulator } from '../src/index.js';
import { sha256 } from './support/scratch-dir.js';
import { call, httpGet, httpPut, login, taskResult, waitTask } from './support/xapi-client.js';
import type { Json } from './support/xapi-client.js';

const PASSWORD = 'pw';
const MiB = 1024 * 1024;
const PIB = 2 ** 50;
let sim: XapiSimulator;
let session: string;

beforeAll(async () => {
  sim = await startXapiSimulator({
    password: PASSWORD,
    vms: [
      { name: 'mail', vifs: 2, disks: [{ sizeBytes: 6 * MiB }, { sizeBytes: 5 * MiB, content: Buffer.alloc(MiB, 7) }] },
    ],
  });
  session = await login(sim.url, PASSWORD);
});
afterAll(() => sim.stop());

async function exportSnapshot(vm: string): Promise<{ xva: Buffer; snapshot: string }> {
  const snapshot = await call(sim.url, 'VM.snapshot', session, sim.state.vm(vm).ref, 'for export');
  const res = await httpGet(`${sim.url}/export?session_id=${session}&ref=${snapshot}`);
  return { xva: res.body, snapshot };
}

async function disksOf(vmRef: string): Promise<string[]> {
  return Promise.all(sim.state.vmDisks(vmRef).map((d) => d.disk.sha256()));
}

async function macsOf(vmRef: string): Promise<string[]> {
  const vifs: string[] = await call(sim.url, 'VM.get_VIFs', session, vmRef);
  return (await Promise.all(vifs.map((v) => call(sim.url, 'VIF.get_MAC', session, v)))).sort();
}

async function importXva(
  body: Buffer,
  query: string,
  options: { contentLength?: number } = {},
): Promise<{ status: number; task: Json }> {
  const task = await call(sim.url, 'task.create', session, 'import', '');
  const res = await httpPut(`${sim.url}/import?session_id=${session}&task_id=${task}${query}`, body, options);
  return { status: res.status, task: await waitTask(sim.url, session, task) };
}

describe('PUT /import', () => {
  it('round-trips an XVA as a new VM: same disks, new UUID, new MACs', async () => {
    const { xva } = await exportSnapshot('mail');
    const { status, task } = await importXva(xva, '');
    expect(status).toBe(200);
    expect(task.status).toBe('success');
    const [vmRef] = taskResult(task.result) as string[];
    const original = sim.state.vm('mail');
    expect(await call(sim.url, 'VM.get_uuid', session, vmRef)).not.toBe(original.uuid);
    expect(await call(sim.url, 'VM.get_power_state', session, vmRef)).toBe('Halted');
    expect(await disksOf(vmRef!)).toEqual(await disksOf('mail'));
    const newMacs = await macsOf(vmRef!);
    expect(newMacs).toHaveLength(2);
    for (const mac of await macsOf(original.ref)) expect(newMacs).not.toContain(mac);
  });

  it('restore=true keeps the UUID and MACs and replaces the halted VM with that UUID', async () => {
    const { xva, snapshot } = await exportSnapshot('mail');
    const uuid = await call(sim.url, 'VM.get_uuid', session, snapshot);
    const macs = await macsOf(snapshot);
    const first = await importXva(gzipSync(xva), '&restore=true');
    expect(first.task.status).toBe('success');
    const [vmRef] = taskResult(first.task.result) as string[];
    expect(await call(sim.url, 'VM.get_uuid', session, vmRef)).toBe(uuid);
    expect(await macsOf(vmRef!)).toEqual(macs);

    const again = await importXva(xva, '&restore=true');
    expect(again.task.status).toBe('success');
    const [replaced] = taskResult(again.task.result) as string[];
    expect(replaced).not.toBe(vmRef);
    expect(await call(sim.url, 'VM.get_uuid', session, replaced)).toBe(uuid);
    const all = Object.values(await call(sim.url, 'VM.get_all_records', session)) as { uuid: string }[];
    expect(all.filter((r) => r.uuid === uuid)).toHaveLength(1);
  });

  it('restore=true refuses to replace a running VM unless force=true', async () => {
    const { xva } = await exportSnapshot('mail');
    const first = await importXva(xva, '&restore=true');
    const [vmRef] = taskResult(first.task.result) as string[];
    await call(sim.url, 'VM.set_is_a_template', session, vmRef, false);
    await call(sim.url, 'VM.start', session, vmRef, false, false);
    const refused = await importXva(xva, '&restore=true');
    expect(refused.task.error_info.slice(0, 1)).toEqual(['VM_BAD_POWER_STATE']);
    const forced = await importXva(xva, '&restore=true&force=true');
    expect(forced.task.status).toBe('success');
  });

  it("imports into the SR named by sr_id, with xen-api's 1 PiB Content-Length", async () => {
    const { xva } = await exportSnapshot('mail');
    const srs = await call(sim.url, 'SR.get_all_records', session);
    const local = Object.entries(srs).find(([, r]: Json) => r.name_label === 'Local storage')![0];
    const { task } = await importXva(xva, `&sr_id=${local}`, { contentLength: PIB });
    expect(task.status).toBe('success');
    const [vmRef] = taskResult(task.result) as string[];
    for (const d of sim.state.vmDisks(vmRef!)) expect(await call(sim.url, 'VDI.get_SR', session, d.vdiRef)).toBe(local);
  });

  it('refuses chunked uploads with 403 and leaves nothing behind after a bad archive', async () => {
    const before = sim.state.vms().length;
    const chunked = await httpPut(`${sim.url}/import?session_id=${session}`, Buffer.alloc(1024), { chunked: true });
    expect(chunked.status).toBe(403);
    const { xva } = await exportSnapshot('mail');
    const corrupt = Buffer.from(xva);
    corrupt[corrupt.length - 3 * 512 - 600]! ^= 0xff; // inside the last data chunk
    const { status, task } = await importXva(corrupt, '');
    expect(status).toBe(200); // headers went out before the body was read
    expect(task.status).toBe('failure');
    expect(task.error_info[0]).toBe('IMPORT_ERROR');
    expect(sim.state.vms().length).toBe(before + 1); // only the snapshot taken for the export
  });
});

describe('PUT /import_raw_vdi', () => {
  async function newVdi(size: number): Promise<string> {
    const sr = (await call(sim.url, 'pool.get_all_records', session).then((p: Json) => Object.values(p)[0] as Json))
      .default_SR;
    return call(sim.url, 'VDI.create', session, {
      SR: sr,
      virtual_size: String(size),
      name_label: 'restore',
      type: 'user',
      sharable: false,
      read_only: false,
      other_config: {},
    });
  }

  it('restores a full VHD then applies a delta VHD over it', async () => {
    const disk = sim.state.vmDisks('mail')[0]!;
    const base = await call(sim.url, 'VDI.snapshot', session, disk.vdiRef, {});
    const full = (await httpGet(`${sim.url}/export_raw_vdi?session_id=${session}&vdi=${base}&format=vhd`)).body;
    await sim.state.writeGuestDisk('mail', 0, 2 * VHD_BLOCK_SIZE + 5, Buffer.from('new data'));
    const next = await call(sim.url, 'VDI.snapshot', session, disk.vdiRef, {});
    const delta = (await httpGet(`${sim.url}/export_raw_vdi?session_id=${session}&vdi=${next}&format=vhd&base=${base}`))
      .body;

    const target = await newVdi(6 * MiB);
    const t1 = await call(sim.url, 'task.create', session, 'restore full', '');
    await httpPut(`${sim.url}/import_raw_vdi?session_id=${session}&task_id=${t1}&vdi=${target}&format=vhd`, full, {
      contentLength: PIB,
    });
    const r1 = await waitTask(sim.url, session, t1);
    expect(r1.status).toBe('success');
    expect(taskResult(r1.result)).toBe(target);
    expect(await sim.state.disk(target).sha256()).toBe(await sim.state.disk(base).sha256());

    const t2 = await call(sim.url, 'task.create', session, 'restore delta', '');
    await httpPut(`${sim.url}/import_raw_vdi?session_id=${session}&task_id=${t2}&vdi=${target}&format=vhd`, delta);
    expect((await waitTask(sim.url, session, t2)).status).toBe('success');
    expect(await sim.state.disk(target).sha256()).toBe(await sim.state.disk(next).sha256());
  });

  it('writes raw content from offset 0', async () => {
    const target = await newVdi(2 * MiB);
    const data = Buffer.alloc(2 * MiB, 0x3c);
    const t = await call(sim.url, 'task.create', session, 'raw', '');
    const res = await httpPut(`${sim.url}/import_raw_vdi?session_id=${session}&task_id=${t}&vdi=${target}`, data);
    expect(res.status).toBe(200);
    expect((await waitTask(sim.url, session, t)).status).toBe('success');
    expect(await sim.state.disk(target).sha256()).toBe(sha256(data));
  });
});
