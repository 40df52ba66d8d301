import { TapirError } from '@tapir/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startXapiSimulator, type XapiSimulator } from '../../../test/xapi-sim/src/index.js';
import { XenServerSource } from '../src/index.js';
import { collect, content, MiB, runContext, scratch, sha256, vhdToRaw, xvaDiskHashes } from './harness.js';

const PASSWORD = 'correct-horse-battery';
const DISK = content(8 * MiB, 3);
let sim: XapiSimulator;
let dir: Awaited<ReturnType<typeof scratch>>;

beforeAll(async () => {
  sim = await startXapiSimulator({
    password: PASSWORD,
    hosts: 3,
    vms: [{ name: 'app', disks: [{ sizeBytes: DISK.length, content: DISK }] }],
  });
  dir = await scratch();
});
afterAll(async () => {
  await sim?.stop();
  await dir?.dispose();
});

const options = (extra: Record<string, unknown> = {}) =>
  ({ url: sim.url, password: PASSWORD, vm: 'app', ...extra }) as never;
const snapshots = () => sim.state.vms().filter(([, r]) => r['is_a_snapshot'] === true);
const power = () => sim.state.vm('app').record['power_state'];

async function failure(promise: Promise<unknown>): Promise<TapirError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(TapirError);
    return error as TapirError;
  }
  throw new Error('expected a failure');
}

describe('failures during a backup', () => {
  it.each(['xva', 'vhd'] as const)(
    'VDI_IO_ERROR mid-transfer (%s): the source fails, snapshots are removed, the next run works',
    async (format) => {
      const handler = format === 'xva' ? '/export' : '/export_raw_vdi';
      sim.inject({ kind: 'vdi-io-error', handler, afterBytes: 2 * MiB });
      const ctx = runContext(`io-${format}`);
      const error = await failure(collect(await XenServerSource.open(options({ format, cbt: false })), ctx));
      expect(error.code).toBe('TAPIR_E_SOURCE_UNAVAILABLE');
      expect(error.message).toMatch(/disk I\/O error during the transfer \(VDI_IO_ERROR/);
      expect(snapshots()).toEqual([]);
      const items = await collect(
        await XenServerSource.open(options({ format, cbt: false })),
        runContext(`io-${format}`),
      );
      const data = items[1]!.data!;
      if (format === 'xva') expect(await xvaDiskHashes(dir.path, data)).toEqual([sha256(DISK)]);
      else expect(sha256(await vhdToRaw(dir.path, [data]))).toBe(sha256(DISK));
    },
  );

  it('a connection reset mid-transfer fails the source too', async () => {
    sim.inject({ kind: 'premature-close', handler: '/export', afterBytes: MiB });
    const error = await failure(collect(await XenServerSource.open(options()), runContext()));
    expect(error.code).toBe('TAPIR_E_SOURCE_UNAVAILABLE');
    expect(snapshots()).toEqual([]);
  });

  it('offline: the VM runs again after a failed export', async () => {
    expect(power()).toBe('Running');
    sim.inject({ kind: 'vdi-io-error', handler: '/export', afterBytes: MiB });
    const error = await failure(collect(await XenServerSource.open(options({ method: 'offline' })), runContext()));
    expect(error.message).toMatch(/VDI_IO_ERROR/);
    expect(power()).toBe('Running');
  });

  it('offline: the VM runs again when tapir abandons the run midway (close without finishing items)', async () => {
    const source = await XenServerSource.open(options({ method: 'offline', format: 'vhd', cbt: false }));
    const ctx = runContext();
    const iterator = source.items(ctx)[Symbol.asyncIterator]();
    await iterator.next(); // vm.json: the VM is down now
    expect(power()).toBe('Halted');
    await source.close();
    expect(power()).toBe('Running');
    expect(snapshots()).toEqual([]);
  });

  it('removes a snapshot left by a killed run of the same job', async () => {
    const source = await XenServerSource.open(options());
    const iterator = source.items(runContext('killed'))[Symbol.asyncIterator]();
    await iterator.next(); // snapshot taken; the process "dies" here: nothing is released
    expect(snapshots()).toHaveLength(1);
    const ctx = runContext('killed');
    await collect(await XenServerSource.open(options()), ctx);
    expect(snapshots()).toEqual([]);
    expect(ctx.log.lines.join('\n')).toMatch(/left by an interrupted run/);
    await source.close();
  });

  it('backs up a VM that migrates to another host mid-job', async () => {
    sim.inject({ kind: 'vm-migrates', vm: 'app', toHost: 2, afterCalls: 4 });
    const items = await collect(await XenServerSource.open(options({ format: 'vhd', cbt: false })), runContext());
    expect(sim.state.vm('app').record['resident_on']).not.toBe(sim.state.pool.hostAt(0).ref);
    expect(sha256(await vhdToRaw(dir.path, [items[1]!.data!]))).toBe(sha256(DISK));
  });
});

describe('connection problems', () => {
  it('wrong password: a clear message, and the password appears nowhere', async () => {
    const error = await failure(XenServerSource.open({ url: sim.url, password: 'nope-not-it', vm: 'app' } as never));
    expect(error.code).toBe('TAPIR_E_SOURCE_UNAVAILABLE');
    expect(error.message).toBe(`XAPI at ${sim.url} refused the login of user root: wrong user name or password`);
    expect(error.context.pluginCode).toBe('SESSION_AUTHENTICATION_FAILED');
    expect(JSON.stringify(error.toJSON())).not.toContain('nope-not-it');
  });

  it('unreachable host: a clear message', async () => {
    const error = await failure(
      XenServerSource.open({ url: 'http://127.0.0.1:9', password: PASSWORD, vm: 'app' } as never),
    );
    expect(error.code).toBe('TAPIR_E_SOURCE_UNAVAILABLE');
    expect(error.message).toMatch(/^cannot reach XAPI at http:\/\/127\.0\.0\.1:9: ECONNREFUSED/);
  });

  it('HOST_IS_SLAVE: logging in to a pool member follows the master', async () => {
    const items = await collect(await XenServerSource.open(options({ url: sim.hostUrls[1] })), runContext());
    expect(await xvaDiskHashes(dir.path, items[1]!.data!)).toEqual([sha256(DISK)]);
  });

  it('HOST_IS_SLAVE with the master down: says the master cannot be reached', async () => {
    sim.inject({ kind: 'host-down', host: 0 });
    try {
      const error = await failure(XenServerSource.open(options({ url: sim.hostUrls[1] })));
      expect(error.code).toBe('TAPIR_E_SOURCE_UNAVAILABLE');
      expect(error.message).toMatch(/cannot reach XAPI|not the pool master/);
    } finally {
      sim.inject({ kind: 'host-up', host: 0 });
    }
  });

  it('survives a master change between two runs (the old master answers HOST_IS_SLAVE)', async () => {
    sim.inject({ kind: 'master-change', toHost: 1 });
    try {
      const items = await collect(await XenServerSource.open(options()), runContext());
      expect(await xvaDiskHashes(dir.path, items[1]!.data!)).toEqual([sha256(DISK)]);
    } finally {
      sim.state.setMaster(0);
    }
  });

  it('an unknown VM: TAPIR_E_NOT_FOUND', async () => {
    const error = await failure(XenServerSource.open(options({ vm: 'no-such-vm' })));
    expect(error.code).toBe('TAPIR_E_NOT_FOUND');
  });
});
