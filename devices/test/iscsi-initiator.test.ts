import { afterEach, describe, expect, it } from 'vitest';
import { isTapirError, type TapirError } from '@tapir/sdk';
import {
  discoverTargets,
  inquiry,
  IscsiTransport,
  read6,
  testUnitReady,
  write6,
  type IscsiTransportOptions,
} from '../src/index.js';
import { startFakeTarget, solicitWrites, type FakeTarget, type FakeTargetScript } from './support/fake-target.js';

let target: FakeTarget | undefined;
let transport: IscsiTransport | undefined;
afterEach(async () => {
  await transport?.close().catch(() => {});
  transport = undefined;
  await target?.close();
  target = undefined;
});

async function connect(
  script: FakeTargetScript,
  options: Partial<IscsiTransportOptions> = {},
): Promise<IscsiTransport> {
  target = await startFakeTarget(script);
  transport = await IscsiTransport.connect({
    host: '127.0.0.1',
    port: target.port,
    targetName: 'iqn.2026-11.test:fake',
    timeoutMs: 2000,
    loginTimeoutMs: 2000,
    ...options,
  });
  return transport;
}

async function failure(promise: Promise<unknown>): Promise<TapirError> {
  try {
    await promise;
  } catch (err) {
    if (isTapirError(err)) return err;
    throw err;
  }
  throw new Error('expected a failure');
}

const pattern = (n: number): Buffer => {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + (i >> 8)) & 0xff;
  return b;
};

describe('login and negotiation', () => {
  it('passes the security stage with a non-zero ISID, then negotiates operational keys', async () => {
    const t = await connect({
      operationalKeys: {
        MaxRecvDataSegmentLength: '4096',
        FirstBurstLength: '16384',
        MaxBurstLength: '32768',
        InitialR2T: 'No',
      },
    });
    const [security, operational] = target!.logins;
    expect(security).toMatchObject({ csg: 0, nsg: 1, transit: true, tsih: 0 });
    expect(security!.isid).not.toBe('000000000000');
    expect(security!.keys.get('AuthMethod')).toBe('None');
    expect(security!.keys.get('TargetName')).toBe('iqn.2026-11.test:fake');
    expect(security!.keys.get('InitiatorName')).toMatch(/^iqn\./);
    expect(operational).toMatchObject({ csg: 1, nsg: 3, transit: true });
    expect(operational!.keys.get('HeaderDigest')).toBe('None');
    expect(t.parameters).toMatchObject({
      sendDataSegmentLength: 4096,
      firstBurstLength: 16384,
      maxBurstLength: 32768,
      initialR2T: false,
      immediateData: true,
    });
  });

  it('uses 8192-byte segments toward a target that declares no MaxRecvDataSegmentLength (tgt)', async () => {
    const t = await connect({});
    expect(t.parameters?.sendDataSegmentLength).toBe(8192);
  });

  it('never exceeds its own offer whatever the target answers', async () => {
    const t = await connect(
      { operationalKeys: { MaxBurstLength: '99999999', FirstBurstLength: '99999999', InitialR2T: 'No' } },
      { offer: { maxBurstLength: 65536, firstBurstLength: 8192, initialR2T: true } },
    );
    expect(t.parameters).toMatchObject({ maxBurstLength: 65536, firstBurstLength: 8192, initialR2T: true });
  });

  it('reports a refused login with TAPIR_E_ISCSI_LOGIN and the status', async () => {
    const err = await failure(
      connect({
        login: (seen) =>
          seen.csg === 0
            ? (b) => {
                b[1] = 0;
                b[36] = 2;
                b[37] = 3;
              }
            : 'default',
      }),
    );
    expect(err.code).toBe('TAPIR_E_ISCSI_LOGIN');
    expect(err.message).toContain('target not found');
    expect(err.context).toMatchObject({ statusClass: 2, statusDetail: 3 });
  });

  it('times out a login the target never answers', async () => {
    const started = Date.now();
    const err = await failure(connect({ login: () => 'silent' }, { loginTimeoutMs: 500 }));
    expect(err.code).toBe('TAPIR_E_DEVICE_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('rejects a login answer with malformed keys', async () => {
    const err = await failure(
      connect({
        login: (_seen, conn) => {
          conn.pdu(
            0x23,
            (b) => {
              b[1] = 0x81;
              b.writeUInt32BE(0, 16);
            },
            Buffer.from('AuthMethod\0'),
          );
          return 'silent';
        },
      }),
    );
    expect(err.code).toBe('TAPIR_E_ISCSI_PROTOCOL');
  });

  it('refuses a target that demands authentication', async () => {
    const err = await failure(
      connect({
        login: (seen, conn) => {
          if (seen.csg !== 0) return 'default';
          conn.pdu(
            0x23,
            (b) => {
              b[1] = 0x00;
              b.writeUInt32BE(0, 16);
            },
            Buffer.from('AuthMethod=CHAP\0'),
          );
          return 'silent';
        },
      }),
    );
    expect(err.code).toBe('TAPIR_E_ISCSI_LOGIN');
  });

  it('discovers targets with SendTargets', async () => {
    target = await startFakeTarget({});
    const targets = await discoverTargets({ host: '127.0.0.1', port: target.port });
    expect(targets).toEqual([
      { name: 'iqn.2026-11.test:fake', portals: [{ host: '127.0.0.1', port: 3260, portalGroupTag: 1 }] },
      { name: 'iqn.2026-11.test:other', portals: [{ host: '::1', port: 3261, portalGroupTag: 2 }] },
    ]);
    expect(target.logins[0]!.keys.get('SessionType')).toBe('Discovery');
  });
});

describe('full feature phase', () => {
  it('writes with immediate data, unsolicited Data-Out and R2T bursts, segments within the target limit', async () => {
    const t = await connect({
      operationalKeys: {
        MaxRecvDataSegmentLength: '4096',
        FirstBurstLength: '16384',
        MaxBurstLength: '32768',
        InitialR2T: 'No',
      },
      ...solicitWrites(32768, 16384, false),
    });
    const data = pattern(100_000);
    const r = await t.execute(1, write6(data));
    expect(r.status).toBe(0);
    const cmd = target!.commands[0]!;
    expect(cmd.immediate.length).toBe(4096);
    expect(cmd.final).toBe(false); // unsolicited Data-Out follows
    expect(target!.connections[0]!.written.get(cmd.itt)!.equals(data)).toBe(true);
    const outs = target!.connections[0]!.dataOuts;
    expect(Math.max(...outs.map((d) => d.data.length))).toBeLessThanOrEqual(4096);
    const unsolicited = outs.filter((d) => d.ttt === 0xffffffff);
    expect(unsolicited.reduce((n, d) => n + d.data.length, 0)).toBe(16384 - 4096);
    expect(unsolicited.at(-1)!.final).toBe(true);
    // DataSN restarts at 0 for each R2T.
    const firstOfEachBurst = outs.filter((d) => d.ttt !== 0xffffffff && d.dataSN === 0).length;
    expect(firstOfEachBurst).toBe(Math.ceil((100_000 - 16384) / 32768));
  });

  it('writes everything through R2T when InitialR2T=Yes and ImmediateData=No', async () => {
    const t = await connect({ operationalKeys: { ImmediateData: 'No' }, ...solicitWrites(262144, 65536, true) });
    const data = pattern(300_000);
    expect((await t.execute(1, write6(data))).status).toBe(0);
    const cmd = target!.commands[0]!;
    expect(cmd.immediate.length).toBe(0);
    expect(cmd.final).toBe(true);
    expect(target!.connections[0]!.written.get(cmd.itt)!.equals(data)).toBe(true);
  });

  it('reads Data-In in several PDUs with status in the last, honouring underflow', async () => {
    const block = pattern(20_000);
    const t = await connect({
      command: (cmd, conn) => {
        conn.dataIn(cmd, block.subarray(0, 8192), { offset: 0 });
        conn.dataIn(cmd, block.subarray(8192, 16384), { offset: 8192 });
        conn.dataIn(cmd, block.subarray(16384), { offset: 16384, status: 0, residual: cmd.edtl - block.length });
      },
    });
    const r = await t.execute(1, read6(65536));
    expect(r.status).toBe(0);
    expect(r.data.equals(block)).toBe(true);
    expect(r.residual).toBe(65536 - 20_000);
  });

  it('delivers CHECK CONDITION with decoded sense', async () => {
    const t = await connect({
      command: (cmd, conn) =>
        conn.response(cmd, 2, Buffer.from('700006000000000a000000002900000000', 'hex').subarray(0, 18)),
    });
    const r = await t.execute(1, testUnitReady());
    expect(r.status).toBe(2);
    expect(r.sense?.conditions.has('reset')).toBe(true);
  });

  it('pipelines commands and matches answers given in reverse order', async () => {
    const held: Array<() => void> = [];
    const t = await connect({
      command: (cmd, conn) => {
        held.push(() => conn.dataIn(cmd, Buffer.from([cmd.itt & 0xff]), { status: 0, residual: cmd.edtl - 1 }));
        if (held.length === 8) for (const answer of held.reverse()) answer();
      },
    });
    const results = await Promise.all(Array.from({ length: 8 }, () => t.execute(0, inquiry(undefined, 36))));
    const itts = target!.commands.map((c) => c.itt & 0xff);
    expect(results.map((r) => r.data[0])).toEqual(itts);
    expect(new Set(target!.commands.map((c) => c.cmdSN)).size).toBe(8);
  });

  it('keeps within the command window (MaxCmdSN)', async () => {
    let outstanding = 0;
    let most = 0;
    const t = await connect({
      window: 2,
      command: (cmd, conn) => {
        outstanding++;
        most = Math.max(most, outstanding);
        setTimeout(() => {
          outstanding--;
          conn.response(cmd, 0);
        }, 20);
      },
    });
    await Promise.all(Array.from({ length: 6 }, () => t.execute(0, testUnitReady())));
    expect(most).toBe(2);
  });

  it('answers a target NOP-In with its TTT, and pings with NOP-Out', async () => {
    const nops: Array<[number, number]> = [];
    const t = await connect({
      nopOut: (itt, ttt, conn) => {
        nops.push([itt, ttt]);
        if (itt !== 0xffffffff)
          conn.pdu(0x20, (b) => {
            b[1] = 0x80;
            b.writeUInt32BE(itt, 16);
            b.writeUInt32BE(0xffffffff, 20);
            b.writeUInt32BE(1, 28);
            b.writeUInt32BE(40, 32);
          });
      },
    });
    target!.connections[0]!.nopIn(0xabc);
    await t.ping(1000);
    expect(nops).toContainEqual([0xffffffff, 0xabc]);
    expect(nops.some(([itt, ttt]) => itt !== 0xffffffff && ttt === 0xffffffff)).toBe(true);
  });
});

describe('failures: errors, never hangs', () => {
  it('times a command out, then reconnects with the same ISID and TSIH 0', async () => {
    let silent = true;
    const t = await connect({ command: (cmd, conn) => (silent ? undefined : conn.response(cmd, 0)) });
    const started = Date.now();
    const err = await failure(t.execute(1, { ...testUnitReady(), timeoutMs: 300 }));
    expect(err.code).toBe('TAPIR_E_DEVICE_TIMEOUT');
    expect(err.message).toContain('TEST UNIT READY');
    expect(Date.now() - started).toBeLessThan(1500);
    silent = false;
    expect((await t.execute(1, testUnitReady())).status).toBe(0);
    expect(t.nexus).toBe(2);
    const relogin = target!.logins.filter((l) => l.csg === 0);
    expect(relogin).toHaveLength(2);
    expect(relogin[1]!.isid).toBe(relogin[0]!.isid);
    expect(relogin[1]!.tsih).toBe(0);
  });

  it('fails commands in flight when the connection drops', async () => {
    const t = await connect({ command: (_cmd, conn) => setTimeout(() => conn.destroy(), 10) });
    const err = await failure(t.execute(1, testUnitReady()));
    expect(err.code).toBe('TAPIR_E_DEVICE');
    expect(err.message).toMatch(/TEST UNIT READY on LUN 1 failed: connection .* (closed|failed)/);
  });

  it('fails fast when the target is gone for good', async () => {
    const t = await connect({ command: (_cmd, conn) => conn.destroy() });
    await failure(t.execute(1, testUnitReady()));
    await target!.close();
    target = undefined;
    const err = await failure(t.execute(1, testUnitReady()));
    expect(err.code).toBe('TAPIR_E_DEVICE');
    expect(err.message).toMatch(/cannot connect/);
  });

  const sense18 = (hexs: string): Buffer => Buffer.from(hexs, 'hex');
  const MALFORMED: Array<{
    name: string;
    code: string;
    request?: 'read' | 'write';
    answer: FakeTargetScript['command'];
  }> = [
    { name: 'an unknown opcode', code: 'TAPIR_E_ISCSI_PROTOCOL', answer: (_c, conn) => conn.pdu(0x3a, () => {}) },
    {
      name: 'an initiator opcode from the target',
      code: 'TAPIR_E_ISCSI_PROTOCOL',
      answer: (_c, conn) => conn.pdu(0x01, () => {}),
    },
    {
      name: 'a data segment longer than declared',
      code: 'TAPIR_E_ISCSI_PROTOCOL',
      answer: (_c, conn) => {
        const b = Buffer.alloc(48);
        b[0] = 0x25;
        b.writeUIntBE(0xfffff0, 5, 3);
        conn.raw(b);
      },
    },
    {
      name: 'Data-In beyond the transfer length',
      code: 'TAPIR_E_ISCSI_PROTOCOL',
      request: 'read',
      answer: (c, conn) => conn.dataIn(c, Buffer.alloc(100), { offset: c.edtl - 10, status: 0 }),
    },
    {
      name: 'Data-In for an unknown task',
      code: 'TAPIR_E_ISCSI_PROTOCOL',
      request: 'read',
      answer: (c, conn) => conn.dataIn({ ...c, itt: c.itt + 77 }, Buffer.alloc(4), { status: 0 }),
    },
    {
      name: 'Data-In for a command that reads nothing',
      code: 'TAPIR_E_ISCSI_PROTOCOL',
      answer: (c, conn) => conn.dataIn(c, Buffer.alloc(4), { status: 0 }),
    },
    {
      name: 'an R2T beyond the write',
      code: 'TAPIR_E_ISCSI_PROTOCOL',
      request: 'write',
      answer: (c, conn) => conn.r2t(c, 0, c.edtl + 4096, 1, 0),
    },
    {
      name: 'an R2T for zero bytes',
      code: 'TAPIR_E_ISCSI_PROTOCOL',
      request: 'write',
      answer: (c, conn) => conn.r2t(c, 0, 0, 1, 0),
    },
    {
      name: 'a SCSI Response announcing more sense than it carries',
      code: 'TAPIR_E_ISCSI_PROTOCOL',
      answer: (c, conn) =>
        conn.pdu(
          0x21,
          (b) => {
            b[1] = 0x80;
            b[3] = 2;
            b.writeUInt32BE(c.itt, 16);
          },
          Buffer.from([0x00, 0x40, 0x70, 0x00, 0x05]),
        ),
    },
    {
      name: 'sense that is not sense',
      code: 'TAPIR_E_DEVICE',
      answer: (c, conn) => conn.response(c, 2, sense18('0102030405060708090a0b0c0d0e0f101112')),
    },
    {
      name: 'a target failure response',
      code: 'TAPIR_E_DEVICE',
      answer: (c, conn) => conn.response(c, 0, undefined, { response: 1 }),
    },
    {
      name: 'a Reject of the command',
      code: 'TAPIR_E_ISCSI_PROTOCOL',
      answer: (c, conn) => {
        const rejected = Buffer.alloc(48);
        rejected[0] = 0x01;
        rejected.writeUInt32BE(c.itt, 16);
        conn.pdu(
          0x3f,
          (b) => {
            b[1] = 0x80;
            b[2] = 0x09;
          },
          rejected,
        );
      },
    },
    {
      name: 'half a header, then close',
      code: 'TAPIR_E_DEVICE',
      answer: (_c, conn) => (conn.raw(Buffer.alloc(20, 0x21)), setTimeout(() => conn.destroy(), 5)),
    },
    {
      name: 'a login response in full feature phase',
      code: 'TAPIR_E_ISCSI_PROTOCOL',
      answer: (_c, conn) => conn.pdu(0x23, (b) => (b[1] = 0x87)),
    },
  ];

  it.each(MALFORMED)('$name → $code', async ({ code, request, answer }) => {
    const t = await connect({ command: answer });
    const req = request === 'read' ? read6(4096) : request === 'write' ? write6(pattern(40_000)) : testUnitReady();
    const started = Date.now();
    const err = await failure(t.execute(1, req));
    expect(err.code).toBe(code);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('survives 200 sessions of random garbage answers: only TapirErrors, each within the timeout', async () => {
    let seed = 7;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    target = await startFakeTarget({
      command: (cmd, conn) => {
        const kind = rand() % 4;
        const bytes = Buffer.alloc(rand() * 2 + 1);
        for (let i = 0; i < bytes.length; i++) bytes[i] = rand();
        if (kind === 0) bytes[0] = [0x20, 0x21, 0x25, 0x31, 0x3f, 0x32, 0x26][rand() % 7]!;
        if (kind === 1 && bytes.length >= 20) bytes.writeUInt32BE(cmd.itt, 16);
        if (kind === 2 && bytes.length >= 8) bytes.writeUIntBE(rand() % 64, 5, 3);
        conn.raw(bytes);
        if (kind === 3) conn.destroy();
      },
    });
    transport = await IscsiTransport.connect({
      host: '127.0.0.1',
      port: target.port,
      targetName: 'iqn.2026-11.test:fake',
      timeoutMs: 150,
      loginTimeoutMs: 1000,
    });
    let failures = 0;
    for (let i = 0; i < 200; i++) {
      const started = Date.now();
      try {
        await transport.execute(1, i % 2 ? read6(512) : testUnitReady());
      } catch (err) {
        expect(isTapirError(err)).toBe(true);
        failures++;
      }
      expect(Date.now() - started).toBeLessThan(1200);
    }
    expect(failures).toBeGreaterThan(150);
  });
});
