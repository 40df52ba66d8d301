// Sustained tape throughput over tapir's userspace iSCSI initiator against a private tgt VTL (test/tgt/vtl.ts), side by
// side with dd writing and reading the same bytes on the filesystem that holds tgt's tape files (this path's ceiling).
//
//   npm run bench:tape            # 1024 MiB per run, median of 3; TAPIR_BENCH_MIB=256 TAPIR_BENCH_RUNS=1 for a quick one
//
// Needs tgt (Debian package) and root. tgtd is stopped by pid, never by name.
import { execFile } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { IscsiTransport, MediaChanger, TapeDrive } from '@tapir/devices';
import { startVtl } from '../test/tgt/vtl.js';

const run = promisify(execFile);
const MiB = 1 << 20;
const TOTAL = Number(process.env.TAPIR_BENCH_MIB ?? 1024) * MiB;
const BLOCK_SIZES = [256 * 1024, MiB];
const RUNS = Number(process.env.TAPIR_BENCH_RUNS ?? 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** dd writing (with a final fsync, as tgt fsyncs at the filemark) and reading back the same amount; MiB/s. */
async function ddCeiling(dir: string, blockSize: number): Promise<{ write: number; read: number }> {
  const file = path.join(dir, `dd-${blockSize}`);
  const count = String(TOTAL / blockSize);
  const write = await timed(() =>
    run('dd', ['if=/dev/zero', `of=${file}`, `bs=${blockSize}`, `count=${count}`, 'conv=fsync']),
  );
  const read = await timed(() => run('dd', [`if=${file}`, 'of=/dev/null', `bs=${blockSize}`]));
  rmSync(file, { force: true });
  return { write: TOTAL / write / MiB, read: TOTAL / read / MiB };
}

// Tapes sized so early warning never triggers during a run.
const vtl = await startVtl({ tapeSizeMb: Math.ceil((TOTAL * 1.2) / MiB) + 64 });
const rows: Array<{ blockSize: number; write: number; read: number; dd: { write: number; read: number } }> = [];
try {
  const transport = await IscsiTransport.connect({ host: vtl.host, port: vtl.port, targetName: vtl.targetName });
  const changer = await MediaChanger.open(transport, vtl.changerLun);
  const drive = await TapeDrive.open(transport, vtl.driveLuns[0]);
  const driveElement = vtl.addresses.drives[0];
  for (const [i, blockSize] of BLOCK_SIZES.entries()) {
    const slot = vtl.addresses.slots[i]!;
    await changer.move(slot, driveElement);
    await drive.waitReady(10_000);
    const block = randomFillSync(Buffer.allocUnsafe(blockSize));
    const blocks = TOTAL / blockSize;
    const writes: number[] = [];
    const reads: number[] = [];
    const dds: Array<{ write: number; read: number }> = [];
    for (let runNo = 0; runNo < RUNS; runNo++) {
      await drive.rewind();
      const write = await timed(async () => {
        for (let n = 0; n < blocks; n++) await drive.writeBlock(block);
        await drive.writeFilemarks(1); // tgt fsyncs after filemarks, as dd conv=fsync does at the end
      });
      await drive.rewind();
      let bytes = 0;
      const read = await timed(async () => {
        for (;;) {
          const r = await drive.readBlock(blockSize);
          if (r.kind !== 'data') break;
          bytes += r.data.length;
        }
      });
      if (bytes !== TOTAL) throw new Error(`read back ${bytes} bytes, wrote ${TOTAL}`);
      writes.push(TOTAL / write / MiB);
      reads.push(TOTAL / read / MiB);
      dds.push(await ddCeiling(vtl.dir, blockSize));
    }
    await drive.unload();
    await changer.move(driveElement, slot);
    rows.push({
      blockSize,
      write: median(writes),
      read: median(reads),
      dd: { write: median(dds.map((d) => d.write)), read: median(dds.map((d) => d.read)) },
    });
  }
  await transport.close();
} finally {
  await vtl.stop();
}
const f = (x: number) => x.toFixed(0).padStart(6);
console.log(
  `tape over iSCSI (tapir initiator → tgt VTL, loopback) vs dd on the tape files' filesystem; ${TOTAL / MiB} MiB per run, median of ${RUNS}, MiB/s`,
);
console.log('block     | iSCSI write | dd write | ratio | iSCSI read | dd read | ratio');
for (const r of rows) {
  console.log(
    `${String(r.blockSize / 1024).padStart(5)} KiB | ${f(r.write)}      | ${f(r.dd.write)}   | ${(r.write / r.dd.write).toFixed(2)}  | ${f(r.read)}     | ${f(r.dd.read)}  | ${(r.read / r.dd.read).toFixed(2)}`,
  );
}
if (process.argv.includes('--json')) console.log(JSON.stringify(rows));
