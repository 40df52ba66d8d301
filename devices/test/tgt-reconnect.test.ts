import { afterAll, beforeAll, expect, it } from 'vitest';
import { isTapirError, type TapirError } from '@tapir/sdk';
import { IscsiTransport, MediaChanger, TapeDrive } from '../src/index.js';
import { startVtl, type Vtl } from '../../test/tgt/vtl.js';
import { makeBlock } from './support/blocks.js';

let vtl: Vtl;
let transport: IscsiTransport;

beforeAll(async () => {
  vtl = await startVtl();
  transport = await IscsiTransport.connect({
    host: vtl.host,
    port: vtl.port,
    targetName: vtl.targetName,
    timeoutMs: 1500,
    loginTimeoutMs: 1500,
  });
});

afterAll(async () => {
  vtl?.resume();
  await transport?.close();
  await vtl?.stop();
});

async function failure(promise: Promise<unknown>): Promise<TapirError> {
  try {
    await promise;
  } catch (err) {
    if (isTapirError(err)) return err;
    throw err;
  }
  throw new Error('expected a failure');
}

it('tgtd frozen, killed and restarted mid-session: the command in flight fails within its timeout, the next one reconnects', async () => {
  const changer = await MediaChanger.open(transport, vtl.changerLun, { name: 'changer0' });
  expect((await changer.inventory()).slots.filter((s) => s.full)).toHaveLength(7);
  const pidBefore = vtl.pid();

  vtl.freeze();
  const started = Date.now();
  const err = await failure(changer.inventory());
  const elapsed = Date.now() - started;
  expect(err.code).toBe('TAPIR_E_DEVICE_TIMEOUT');
  expect(err.message).toContain('READ ELEMENT STATUS');
  expect(elapsed).toBeGreaterThanOrEqual(1400);
  expect(elapsed).toBeLessThan(3000);

  await vtl.restart(); // SIGKILL by pid, then a fresh tgtd on the same port
  expect(vtl.pid()).not.toBe(pidBefore);
  const inv = await changer.inventory();
  expect(inv.slots.filter((s) => s.full).map((s) => s.barcode)).toEqual(vtl.tapes.map((t) => t.barcode));
  expect(transport.nexus).toBe(2);
});

it('tgtd killed during a write: the write fails at once, commands fail fast while it is down, the drive refuses to write blind after reconnecting', async () => {
  const changer = await MediaChanger.open(transport, vtl.changerLun);
  const drive = await TapeDrive.open(transport, vtl.driveLuns[0], { name: 'drive0' });
  await changer.move(13, 1);
  await drive.waitReady(10_000);
  const lost: string[] = [];
  drive.on('position-lost', (reason) => lost.push(reason));

  const block = makeBlock(1 << 20, 1);
  let written = 0;
  const writing = (async () => {
    for (;;) {
      await drive.writeBlock(block);
      written++;
    }
  })();
  while (written < 5) await new Promise((r) => setTimeout(r, 5));
  const outcome = failure(writing);
  const killedAt = Date.now();
  await vtl.crash();
  const err = await outcome;
  expect(Date.now() - killedAt).toBeLessThan(1500);
  expect(err.code).toBe('TAPIR_E_DEVICE');
  expect(err.message).toMatch(/WRITE\(6\) on LUN 1 failed: connection/);
  expect(drive.position.file).toBeUndefined();
  expect(lost.length).toBeGreaterThan(0);

  const downAt = Date.now();
  const down = await failure(drive.ready());
  expect(down.message).toMatch(/cannot connect/);
  expect(Date.now() - downAt).toBeLessThan(1500);

  await vtl.restart();
  // The restarted library has the tape back in its slot and the drive empty: nothing can be written blind.
  expect((await failure(drive.writeBlock(makeBlock(4096, 9)))).code).toBe('TAPIR_E_DEVICE');
  expect(await drive.ready()).not.toBe('ready');
  await changer.move(13, 1);
  await drive.waitReady(10_000);
  await drive.seekEndOfData();
  expect(drive.position).toMatchObject({ atEndOfData: true });
  await drive.writeBlock(makeBlock(4096, 2));
  await drive.writeFilemarks(1);
  const image = await vtl.show('TAPE0004L6');
  expect(image.filter((e) => e.kind === 'data').length).toBeGreaterThanOrEqual(written + 1);
});

it('a session lost while a tape stays loaded: the drive refuses to write until the position is known again', async () => {
  const drive = await TapeDrive.open(transport, vtl.driveLuns[0], { name: 'drive0' });
  expect(await drive.ready()).toBe('ready');
  expect(drive.position.file).toBeUndefined(); // found loaded: position unknown
  await drive.rewind();
  await drive.writeBlock(makeBlock(8192, 3));

  vtl.freeze();
  expect((await failure(drive.ready())).code).toBe('TAPIR_E_DEVICE_TIMEOUT');
  vtl.resume();

  const refused = await failure(drive.writeBlock(makeBlock(8192, 4)));
  expect(refused.message).toContain('position unknown');
  await drive.rewind();
  expect(drive.position).toEqual({ file: 0, block: 0, atEndOfData: false });
  const r = await drive.readBlock(8192);
  expect(r.kind === 'data' && r.data.equals(makeBlock(8192, 3))).toBe(true);
});
