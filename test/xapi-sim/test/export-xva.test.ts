import { writeFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import zstd from 'zstd-napi';
import { ByteReader, parseOvaXml, readTarMembers, startXapiSimulator, type XapiSimulator } from '../src/index.js';
import { scratchDir, sha256File } from './support/scratch-dir.js';
import { call, exec, httpGet, login, waitTask } from './support/xapi-client.js';

const PASSWORD = 'pw';
const MiB = 1024 * 1024;
let sim: XapiSimulator;
let scratch: Awaited<ReturnType<typeof scratchDir>>;
let session: string;

/** A 9 MiB disk, mostly sparse: data in chunk 0, 4 and a partial chunk at the end. */
function sparseContent(): Buffer {
  const data = Buffer.alloc(9 * MiB - 512 * 3);
  data.fill(0x11, 0, 1000);
  data.fill(0x44, 4 * MiB + 17, 4 * MiB + 70_000);
  data.fill(0x99, data.length - 300);
  return data;
}

beforeAll(async () => {
  sim = await startXapiSimulator({
    password: PASSWORD,
    vms: [
      { name: 'db', disks: [{ sizeBytes: 9 * MiB - 512 * 3, content: sparseContent() }, { sizeBytes: 3 * MiB }] },
      { name: 'local-vm', host: 1, disks: [{ sizeBytes: 2 * MiB, sr: 'local' }] },
    ],
  });
  scratch = await scratchDir();
  session = await login(sim.url, PASSWORD);
});
afterAll(async () => {
  await sim.stop();
  await scratch.dispose();
});

async function snapshotOf(vm: string): Promise<string> {
  return call(sim.url, 'VM.snapshot', session, sim.state.vm(vm).ref, `backup of ${vm}`);
}

/** Extracts an XVA with GNU tar and rebuilds each disk with xva-img; returns disk SHA-256 by Ref id. */
async function readWithXvaImg(
  xva: Buffer,
  name: string,
): Promise<{ objects: ReturnType<typeof parseOvaXml>['objects']; disks: Map<string, string> }> {
  const dir = scratch.file(name);
  await exec('mkdir', ['-p', dir]);
  await writeFile(`${dir}/vm.xva`, xva);
  await exec('tar', ['xf', 'vm.xva'], { cwd: dir });
  const { objects } = parseOvaXml((await exec('cat', ['ova.xml'], { cwd: dir })).stdout);
  const disks = new Map<string, string>();
  for (const vdi of objects.filter((o) => o.class === 'VDI')) {
    await exec('xva-img', ['-p', 'disk-export', `${vdi.id}/`, `${vdi.id}.raw`], { cwd: dir });
    disks.set(vdi.id, await sha256File(`${dir}/${vdi.id}.raw`));
  }
  return { objects, disks };
}

describe('GET /export', () => {
  it('writes an XVA that xva-img turns back into the exact disks', async () => {
    const snap = await snapshotOf('db');
    const res = await httpGet(`${sim.url}/export?session_id=${session}&ref=${snap}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/octet-stream');
    expect(res.headers['task-id']).toMatch(/^OpaqueRef:/);
    expect(res.headers['content-length']).toBeUndefined();

    const { objects, disks } = await readWithXvaImg(res.body, 'plain');
    const expected = await Promise.all(sim.state.vmDisks('db').map((d) => d.disk.sha256()));
    const vdis = objects.filter((o) => o.class === 'VDI');
    expect(vdis).toHaveLength(2);
    for (const vdi of vdis) {
      const vbd = objects.find((o) => o.class === 'VBD' && o.snapshot['VDI'] === vdi.id)!;
      expect(disks.get(vdi.id)).toBe(expected[Number(vbd.snapshot['userdevice'])]);
    }
    const vm = objects.find((o) => o.class === 'VM')!;
    expect(vm.snapshot['is_a_snapshot']).toBe(true);
    expect(vm.snapshot['VBDs']).toHaveLength(3); // two disks and the empty CD drive
    expect(
      objects.some((o) => o.class === 'VIF' && /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(String(o.snapshot['MAC']))),
    ).toBe(true);
    expect((await waitTask(sim.url, session, String(res.headers['task-id']))).status).toBe('success');
  });

  it('leaves out all-zero chunks except the first and the last, each followed by a lowercase SHA-1 .checksum', async () => {
    const snap = await snapshotOf('db');
    const res = await httpGet(`${sim.url}/export?session_id=${session}&ref=${snap}`);
    const names: string[] = [];
    for await (const m of readTarMembers(new ByteReader(Readable.from([res.body])))) {
      names.push(m.name);
      if (m.name.endsWith('.checksum')) expect(m.data.toString()).toMatch(/^[0-9a-f]{40}$/);
    }
    expect(names[0]).toBe('ova.xml');
    const first = names.filter((n) => n.startsWith('Ref:') && !n.endsWith('.checksum'));
    const sparseDisk = first.filter((n) => n.split('/')[0] === first[0]!.split('/')[0]).map((n) => n.split('/')[1]);
    expect(sparseDisk).toEqual(['00000000', '00000004', '00000008']);
  });

  it('compresses with gzip and zstd on request', async () => {
    const snap = await snapshotOf('db');
    const plain = (await httpGet(`${sim.url}/export?session_id=${session}&ref=${snap}`)).body;
    const gz = (await httpGet(`${sim.url}/export?session_id=${session}&ref=${snap}&use_compression=true`)).body;
    const zst = (
      await httpGet(
        `${sim.url}/export?session_id=${session}&uuid=${await call(sim.url, 'VM.get_uuid', session, snap)}&use_compression=zstd`,
      )
    ).body;
    expect(gz.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(zst.readUInt32LE(0)).toBe(0xfd2fb528);
    const fromGzip = await readWithXvaImg(gunzipSync(gz), 'gzip');
    const fromZstd = await readWithXvaImg(zstd.decompress(zst), 'zstd');
    const fromPlain = await readWithXvaImg(plain, 'plain2');
    expect([...fromGzip.disks.values()]).toEqual([...fromPlain.disks.values()]);
    expect([...fromZstd.disks.values()]).toEqual([...fromPlain.disks.values()]);
  });

  it('refuses a running VM, and a bad session with 401', async () => {
    const running = await httpGet(`${sim.url}/export?session_id=${session}&ref=${sim.state.vm('db').ref}`);
    expect(running.status).toBe(404);
    expect(running.body.toString()).toContain('VM_BAD_POWER_STATE');
    expect((await httpGet(`${sim.url}/export?session_id=OpaqueRef:bad&ref=${sim.state.vm('db').ref}`)).status).toBe(
      401,
    );
  });

  it('redirects with 302 and the full query to the host that holds a local SR', async () => {
    const snap = await snapshotOf('local-vm');
    const first = await httpGet(`${sim.url}/export?session_id=${session}&ref=${snap}&use_compression=zstd`);
    expect(first.status).toBe(302);
    const location = String(first.headers['location']);
    expect(location).toBe(`${sim.hostUrls[1]}/export?session_id=${session}&ref=${snap}&use_compression=zstd`);
    const second = await httpGet(location);
    expect(second.status).toBe(200);
    const { disks } = await readWithXvaImg(zstd.decompress(second.body), 'local');
    expect([...disks.values()]).toEqual([await sim.state.vmDisks('local-vm')[0]!.disk.sha256()]);
  });

  it('includes the suspend VDI of a checkpoint with preserve_power_state', async () => {
    const cp = await call(sim.url, 'VM.checkpoint', session, sim.state.vm('db').ref, 'cp');
    const res = await httpGet(`${sim.url}/export?session_id=${session}&ref=${cp}&preserve_power_state=true`);
    const { objects } = await readWithXvaImg(res.body, 'checkpoint');
    const vm = objects.find((o) => o.class === 'VM')!;
    expect(vm.snapshot['power_state']).toBe('Suspended');
    const suspend = objects.find((o) => o.id === vm.snapshot['suspend_VDI'])!;
    expect(suspend.snapshot['type']).toBe('suspend');
  });
});
