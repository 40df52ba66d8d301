import { readFile, writeFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ByteReader,
  CBT_BLOCK_SIZE,
  openVhdStream,
  startXapiSimulator,
  VHD_BLOCK_SIZE,
  type XapiSimulator,
} from '../src/index.js';
import { scratchDir, sha256, sha256File } from './support/scratch-dir.js';
import { call, exec, httpGet, login } from './support/xapi-client.js';
import type { Json } from './support/xapi-client.js';

const PASSWORD = 'pw';
const MiB = 1024 * 1024;
const DISK = 20 * MiB;
let sim: XapiSimulator;
let scratch: Awaited<ReturnType<typeof scratchDir>>;
let session: string;

beforeAll(async () => {
  const content = Buffer.alloc(DISK);
  content.fill(0x5a, 0, 3 * MiB); // blocks 0 and 1 allocated
  content.fill(0xa5, 9 * MiB, 9 * MiB + 4096); // block 4
  sim = await startXapiSimulator({ password: PASSWORD, vms: [{ name: 'app', disks: [{ sizeBytes: DISK, content }] }] });
  scratch = await scratchDir();
  session = await login(sim.url, PASSWORD);
});
afterAll(async () => {
  await sim.stop();
  await scratch.dispose();
});

async function snapshotDisk(): Promise<{ vm: string; vdi: string }> {
  const vm = await call(sim.url, 'VM.snapshot', session, sim.state.vm('app').ref, 'snap');
  const vbds: string[] = await call(sim.url, 'VM.get_VBDs', session, vm);
  for (const vbd of vbds) {
    if ((await call(sim.url, 'VBD.get_type', session, vbd)) === 'Disk')
      return { vm, vdi: await call(sim.url, 'VBD.get_VDI', session, vbd) };
  }
  throw new Error('no disk');
}

async function qemuToRaw(vhd: Buffer, name: string): Promise<Buffer> {
  await writeFile(scratch.file(`${name}.vhd`), vhd);
  await exec('qemu-img', [
    'convert',
    '-f',
    'vpc',
    '-O',
    'raw',
    scratch.file(`${name}.vhd`),
    scratch.file(`${name}.raw`),
  ]);
  return readFile(scratch.file(`${name}.raw`));
}

async function allocatedBlocks(vhd: Buffer): Promise<number[]> {
  const stream = await openVhdStream(new ByteReader(Readable.from([vhd])));
  const blocks: number[] = [];
  for await (const b of stream.blocks()) blocks.push(b.index);
  return blocks;
}

describe('GET /export_raw_vdi', () => {
  it('format=vhd: qemu-img reads the virtual size and the exact content', async () => {
    const { vdi } = await snapshotDisk();
    const res = await httpGet(`${sim.url}/export_raw_vdi?session_id=${session}&vdi=${vdi}&format=vhd`);
    expect(res.status).toBe(200);
    await writeFile(scratch.file('full.vhd'), res.body);
    const info = JSON.parse(
      (await exec('qemu-img', ['info', '-f', 'vpc', '--output=json', scratch.file('full.vhd')])).stdout,
    );
    expect(info['virtual-size']).toBe(DISK);
    const raw = await qemuToRaw(res.body, 'full');
    expect(sha256(raw)).toBe(await sim.state.disk(vdi).sha256());
    expect(await allocatedBlocks(res.body)).toEqual([0, 1, 4]);
  });

  it('format=raw (the default) sends the whole disk with a Content-Length; a UUID works as vdi=', async () => {
    const { vdi } = await snapshotDisk();
    const uuid = await call(sim.url, 'VDI.get_uuid', session, vdi);
    const res = await httpGet(`${sim.url}/export_raw_vdi?session_id=${session}&vdi=${uuid}`);
    expect(res.headers['content-length']).toBe(String(DISK));
    expect(sha256(res.body)).toBe(await sim.state.disk(vdi).sha256());
  });

  it('answers 404 for an unknown format', async () => {
    const { vdi } = await snapshotDisk();
    expect((await httpGet(`${sim.url}/export_raw_vdi?session_id=${session}&vdi=${vdi}&format=qcow2`)).status).toBe(404);
  });

  it('base=: a differencing VHD with only the changed blocks, which applied over the base gives the new content', async () => {
    const base = await snapshotDisk();
    const baseRaw = await sim.state.disk(base.vdi).read(0, DISK);
    // The guest writes into blocks 2, 5 and 9 (2 MiB blocks).
    await sim.state.writeGuestDisk('app', 0, 2 * VHD_BLOCK_SIZE + 100, Buffer.alloc(5000, 1));
    await sim.state.writeGuestDisk('app', 0, 5 * VHD_BLOCK_SIZE, Buffer.alloc(512, 2));
    await sim.state.writeGuestDisk('app', 0, 9 * VHD_BLOCK_SIZE + VHD_BLOCK_SIZE - 512, Buffer.alloc(512, 3));
    const next = await snapshotDisk();
    const res = await httpGet(
      `${sim.url}/export_raw_vdi?session_id=${session}&vdi=${next.vdi}&format=vhd&base=${base.vdi}`,
    );
    expect(res.status).toBe(200);
    expect(res.body.readUInt32BE(60)).toBe(4); // differencing disk
    expect(await allocatedBlocks(res.body)).toEqual([2, 5, 9]);
    expect(res.body.length).toBeLessThan(4 * (VHD_BLOCK_SIZE + 512) + 4096);

    // qemu-img opens the delta alone (unallocated = zeros); overlay its allocated blocks on the base.
    const deltaRaw = await qemuToRaw(res.body, 'delta');
    const applied = Buffer.from(baseRaw);
    for (const b of [2, 5, 9]) deltaRaw.copy(applied, b * VHD_BLOCK_SIZE, b * VHD_BLOCK_SIZE, (b + 1) * VHD_BLOCK_SIZE);
    expect(sha256(applied)).toBe(await sim.state.disk(next.vdi).sha256());
    const map = JSON.parse(
      (await exec('qemu-img', ['map', '-f', 'vpc', '--output=json', scratch.file('delta.vhd')])).stdout,
    );
    const dataExtents = map
      .filter((e: Json) => e.data)
      .map((e: Json) => [e.start / VHD_BLOCK_SIZE, e.length / VHD_BLOCK_SIZE]);
    expect(dataExtents).toEqual([
      [2, 1],
      [5, 1],
      [9, 1],
    ]);
  });
});

describe('CBT', () => {
  it('list_changed_blocks reports exactly the three 64 KiB blocks written between two snapshots', async () => {
    const disk = sim.state.vmDisks('app')[0]!;
    await call(sim.url, 'VDI.enable_cbt', session, disk.vdiRef);
    const from = await snapshotDisk();
    const written = [3, 40, 200];
    for (const block of written)
      await sim.state.writeGuestDisk('app', 0, block * CBT_BLOCK_SIZE + 10, Buffer.from('changed'));
    const to = await snapshotDisk();
    const bitmap = Buffer.from(await call(sim.url, 'VDI.list_changed_blocks', session, from.vdi, to.vdi), 'base64');
    expect(bitmap.length).toBe(DISK / CBT_BLOCK_SIZE / 8);
    const set: number[] = [];
    for (let i = 0; i < bitmap.length * 8; i++) if (bitmap[i >> 3]! & (0x80 >> (i & 7))) set.push(i);
    expect(set).toEqual(written);

    // data_destroy keeps the CBT metadata: the snapshot still serves as vdi_from.
    await call(sim.url, 'VM.destroy', session, from.vm);
    await call(sim.url, 'VDI.data_destroy', session, from.vdi);
    expect(await call(sim.url, 'VDI.get_type', session, from.vdi)).toBe('cbt_metadata');
    const again = Buffer.from(await call(sim.url, 'VDI.list_changed_blocks', session, from.vdi, to.vdi), 'base64');
    expect(again.equals(bitmap)).toBe(true);
  });

  it('refuses without CBT metadata', async () => {
    const disk = sim.state.vmDisks('app')[0]!;
    await call(sim.url, 'VDI.disable_cbt', session, disk.vdiRef);
    const a = await snapshotDisk();
    const b = await snapshotDisk();
    const res = await fetch(`${sim.url}/jsonrpc`, {
      method: 'POST',
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'VDI.list_changed_blocks',
        params: [session, a.vdi, b.vdi],
      }),
    });
    expect(((await res.json()) as Json).error.message).toBe('VDI_NO_CBT_METADATA');
    const noCbt = await fetch(`${sim.url}/jsonrpc`, {
      method: 'POST',
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'VDI.data_destroy', params: [session, a.vdi] }),
    });
    expect(((await noCbt.json()) as Json).error.message).toBe('VDI_NO_CBT_METADATA');
    expect(await sha256File(sim.state.disk(b.vdi).path)).toBe(await sim.state.disk(b.vdi).sha256());
  });
});
