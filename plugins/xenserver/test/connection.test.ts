import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startXapiSimulator, type XapiSimulator } from '../../../test/xapi-sim/src/index.js';
import { parseTaskResult } from '../src/taskResult.js';
import { XapiConnection } from '../src/XapiConnection.js';
import { content, MiB, sha256 } from './harness.js';

const PASSWORD = 'conn-secret';
const DISK = content(4 * MiB, 71);
let sim: XapiSimulator;

beforeAll(async () => {
  sim = await startXapiSimulator({
    password: PASSWORD,
    vms: [{ name: 'app', disks: [{ sizeBytes: DISK.length, content: DISK }] }],
  });
});
afterAll(async () => {
  await sim?.stop();
});

const open = () =>
  XapiConnection.open({ url: sim.url, username: 'root', password: PASSWORD }, 'TAPIR_E_SOURCE_UNAVAILABLE');

describe('XapiConnection', () => {
  it('callAsync returns the task result and destroys the task', async () => {
    const conn = await open();
    try {
      const vm = sim.state.vm('app');
      const before = sim.state.tasks().length;
      const snapshot = await conn.callAsync<string>('VM.snapshot', vm.ref, 'conn test');
      expect(sim.state.pool.db.get('VM', snapshot)).toMatchObject({ is_a_snapshot: true, snapshot_of: vm.ref });
      expect(sim.state.tasks()).toHaveLength(before);
      await conn.call('VM.destroy', snapshot);
    } finally {
      await conn.close();
    }
  });

  it('callAsync throws the XAPI error of a failed task, with its code', async () => {
    const conn = await open();
    try {
      const before = sim.state.tasks().length;
      await expect(conn.callAsync('VM.start', sim.state.vm('app').ref, false, false)).rejects.toMatchObject({
        code: 'TAPIR_E_SOURCE_UNAVAILABLE',
        context: { pluginCode: 'VM_BAD_POWER_STATE' },
      });
      expect(sim.state.tasks()).toHaveLength(before);
    } finally {
      await conn.close();
    }
  });

  it('a download returns the export and leaves no task behind; a destroyed task fails it', async () => {
    const conn = await open();
    try {
      const vdi = sim.state.vmDisks('app')[0]!.vdiRef;
      const before = sim.state.tasks().length;
      const hash = createHash('sha256');
      for await (const chunk of conn.download('/export_raw_vdi', { vdi }, 'raw export', new AbortController().signal))
        hash.update(chunk);
      expect(hash.digest('hex')).toBe(sha256(DISK));
      expect(sim.state.tasks()).toHaveLength(before);

      sim.inject({ kind: 'task-destroyed', handler: '/export_raw_vdi', afterBytes: MiB });
      const read = async () => {
        for await (const _ of conn.download('/export_raw_vdi', { vdi }, 'raw export', new AbortController().signal));
      };
      await expect(read()).rejects.toThrow(/raw export/);
    } finally {
      await conn.close();
    }
  });

  it('a download follows a 302 to another member, and survives a reader slower than the host', async () => {
    const conn = await open();
    try {
      const vdi = sim.state.vmDisks('app')[0]!.vdiRef;
      sim.inject({ kind: 'redirect', handler: '/export_raw_vdi', toHost: 1 });
      const hash = createHash('sha256');
      let first = true;
      for await (const chunk of conn.download('/export_raw_vdi', { vdi }, 'raw export', new AbortController().signal)) {
        // The host sends everything and closes the connection while this reader still holds its first chunk.
        if (first) await new Promise((resolve) => setTimeout(resolve, 300));
        first = false;
        hash.update(chunk);
      }
      expect(hash.digest('hex')).toBe(sha256(DISK));
    } finally {
      await conn.close();
    }
  });

  it('a process that exported a disk and closed its connection exits at once', async () => {
    // xen-api's event loop used to hold an event.from request open for a minute after disconnect().
    const module = pathToFileURL(join(import.meta.dirname, '..', 'dist', 'XapiConnection.js')).href;
    const script = `
      import { XapiConnection } from ${JSON.stringify(module)};
      const conn = await XapiConnection.open({ url: process.env.URL, username: 'root', password: process.env.PASSWORD }, 'TAPIR_E_SOURCE_UNAVAILABLE');
      let bytes = 0;
      for await (const chunk of conn.download('/export_raw_vdi', { vdi: process.env.VDI, format: 'vhd' }, 'export', new AbortController().signal)) bytes += chunk.length;
      await conn.close();
      console.log(bytes);
      console.error(Date.now());
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, URL: sim.url, PASSWORD, VDI: sim.state.vmDisks('app')[0]!.vdiRef },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    const exited = Date.now();
    expect(code, stderr).toBe(0);
    expect(Number(stdout)).toBeGreaterThan(DISK.length);
    expect(exited - Number(stderr.trim())).toBeLessThan(2000);
  }, 20_000);
});

describe('parseTaskResult (XML-RPC task results)', () => {
  it.each([
    ['', ''],
    ['<value>OpaqueRef:1a</value>', 'OpaqueRef:1a'],
    ['<value></value>', ''],
    ['<value><string>a &amp; b &lt;c&gt;</string></value>', 'a & b <c>'],
    [
      '<value><array><data><value>OpaqueRef:a</value>\n<value>OpaqueRef:b</value></data></array></value>',
      ['OpaqueRef:a', 'OpaqueRef:b'],
    ],
    ['<value><array><data/></array></value>', []],
    [
      '<value><struct><member><name>n</name><value><int>3</int></value></member><member><name>b</name><value><boolean>1</boolean></value></member></struct></value>',
      { n: 3, b: true },
    ],
  ])('%j', (text, expected) => {
    expect(parseTaskResult(text)).toEqual(expected);
  });

  it('refuses what is not an XML-RPC value', () => {
    expect(() => parseTaskResult('OpaqueRef:bare')).toThrow(SyntaxError);
  });
});
