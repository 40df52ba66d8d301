import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startXapiSimulator, type XapiSimulator } from '../../../test/xapi-sim/src/index.js';
import { XenServerSource } from '../src/index.js';
import {
  collect,
  content,
  MiB,
  runContext,
  scratch,
  selfSignedCertificate,
  sha256,
  vhdToRaw,
  xvaDiskHashes,
} from './harness.js';

const PASSWORD = 'tls-pw';
const DISK = content(12 * MiB + 4096, 7);
let sim: XapiSimulator;
let dir: Awaited<ReturnType<typeof scratch>>;

beforeAll(async () => {
  dir = await scratch();
  sim = await startXapiSimulator({
    password: PASSWORD,
    tls: selfSignedCertificate(dir.path, 'xenserver'),
    vms: [{ name: 'secure', disks: [{ sizeBytes: DISK.length, content: DISK }] }],
  });
});
afterAll(async () => {
  await sim?.stop();
  await dir?.dispose();
});

describe('a pool that serves HTTPS (XenServer by default)', () => {
  it('backs up VHD and XVA exports over TLS with a self-signed certificate, the disk byte for byte', async () => {
    expect(sim.url).toMatch(/^https:\/\//);
    const uuid = sim.state.vm('secure').uuid;
    const vhd = await collect(
      await XenServerSource.open({
        url: sim.url,
        password: PASSWORD,
        vm: 'secure',
        format: 'vhd',
        cbt: false,
      } as never),
      runContext('tls-vhd'),
    );
    expect(vhd.map((i) => i.path)).toEqual([`vms/${uuid}/vm.json`, `vms/${uuid}/disk-0.000000.vhd`]);
    expect(sha256(await vhdToRaw(dir.path, [vhd[1]!.data!]))).toBe(sha256(DISK));
    const xva = await collect(
      await XenServerSource.open({ url: sim.url, password: PASSWORD, vm: 'secure', format: 'xva' } as never),
      runContext('tls-xva'),
    );
    expect(await xvaDiskHashes(dir.path, xva[1]!.data!)).toEqual([sha256(DISK)]);
  });

  it('refuses the certificate when allowUnauthorized is false, naming the pool and the reason', async () => {
    const attempt = XenServerSource.open({
      url: sim.url,
      password: PASSWORD,
      vm: 'secure',
      allowUnauthorized: false,
    } as never).then((source) => collect(source, runContext('tls-strict')));
    await expect(attempt).rejects.toMatchObject({
      code: 'TAPIR_E_SOURCE_UNAVAILABLE',
      message: `${sim.url} presented a TLS certificate tapir does not trust (DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate); XenServer makes a self-signed one: install its CA for Node (NODE_EXTRA_CA_CERTS) or set allowUnauthorized: true`,
    });
  });
});
