#!/usr/bin/env node
// Sustained tape throughput over tapir's userspace iSCSI initiator against a private tgt VTL, side by side with dd
// writing and reading the same bytes on the filesystem that holds tgt's tape files (this path's ceiling).
//
//   npx tsc -b devices && node bench/tape.js            # 1024 MiB per run; TAPIR_BENCH_MIB=256 for a quick one
//
// Needs tgtd, tgtadm and tgtimg (Debian package tgt) and root. tgtd is stopped by pid, never by name.
import { execFile, spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, openSync, closeSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { IscsiTransport, MediaChanger, TapeDrive } from '@tapir/devices';

const run = promisify(execFile);
const MiB = 1 << 20;
const TOTAL = Number(process.env.TAPIR_BENCH_MIB ?? 1024) * MiB;
const BLOCK_SIZES = [256 * 1024, MiB];
const RUNS = Number(process.env.TAPIR_BENCH_RUNS ?? 3);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const TARGET = 'iqn.2026-11.bench:vtl';

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** One changer (LUN 2), one drive (LUN 1), one tape per block size, sized so early warning never triggers. */
async function startTgt(dir) {
  const port = await freePort();
  const control = 20000 + Math.floor(Math.random() * 12000);
  const tapes = BLOCK_SIZES.map((_, i) => `BENCH${i}`); // rewritten from the start on every run
  for (const b of tapes)
    await run('tgtimg', [
      '--op',
      'new',
      '--device-type',
      'tape',
      '--barcode',
      b,
      '--size',
      String(Math.ceil((TOTAL * 1.2) / MiB) + 64),
      '--type',
      'data',
      '--file',
      path.join(dir, b),
    ]);
  await run('tgtimg', [
    '--op',
    'new',
    '--device-type',
    'tape',
    '--barcode',
    'EMPTY',
    '--size',
    '1',
    '--type',
    'data',
    '--file',
    path.join(dir, '.drive'),
  ]);
  writeFileSync(path.join(dir, 'smc'), Buffer.alloc(1024));
  const log = openSync(path.join(dir, 'tgtd.log'), 'a');
  const child = spawn('tgtd', ['-C', String(control), '--iscsi', `portal=127.0.0.1:${port}`, '-f'], {
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const adm = (...a) => run('tgtadm', ['-C', String(control), '--lld', 'iscsi', ...a]);
  for (let i = 0; ; i++) {
    try {
      await run('tgtadm', ['-C', String(control), '--op', 'show', '--mode', 'system']);
      break;
    } catch (err) {
      if (i > 200 || child.exitCode !== null) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const lu = (lun, params) =>
    adm('--mode', 'logicalunit', '--op', 'update', '--tid', '1', '--lun', String(lun), '--params', params);
  await adm('--op', 'new', '--mode', 'target', '--tid', '1', '-T', TARGET);
  await adm(
    '--mode',
    'logicalunit',
    '--op',
    'new',
    '--tid',
    '1',
    '--lun',
    '1',
    '-b',
    path.join(dir, '.drive'),
    '--device-type=tape',
  );
  await lu(1, 'online=0');
  await adm(
    '--mode',
    'logicalunit',
    '--op',
    'new',
    '--tid',
    '1',
    '--lun',
    '2',
    '-b',
    path.join(dir, 'smc'),
    '--device-type=changer',
  );
  await lu(2, `media_home=${dir}`);
  await lu(2, 'element_type=4,start_address=1,quantity=1');
  await lu(2, 'element_type=4,address=1,tid=1,lun=1');
  await lu(2, 'element_type=1,start_address=2,quantity=1');
  await lu(2, `element_type=2,start_address=10,quantity=${tapes.length}`);
  for (const [i, b] of tapes.entries()) await lu(2, `element_type=2,address=${10 + i},barcode=${b},sides=1`);
  await adm('--op', 'bind', '--mode', 'target', '--tid', '1', '-I', 'ALL');
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      await adm('--op', 'delete', '--mode', 'target', '--tid', '1', '--force');
      await run('tgtadm', ['-C', String(control), '--op', 'delete', '--mode', 'system']);
    } catch {
      // fall through to SIGKILL
    }
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    const t = setTimeout(() => {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, 3000);
    await exited;
    clearTimeout(t);
  };
  return { port, stop };
}

async function timed(fn) {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** dd writing (with a final fsync, as tgt fsyncs at the filemark) and reading back the same amount; MiB/s. */
async function ddCeiling(dir, blockSize) {
  const file = path.join(dir, `dd-${blockSize}`);
  const count = String(TOTAL / blockSize);
  const write = await timed(() =>
    run('dd', ['if=/dev/zero', `of=${file}`, `bs=${blockSize}`, `count=${count}`, 'conv=fsync']),
  );
  const read = await timed(() => run('dd', [`if=${file}`, 'of=/dev/null', `bs=${blockSize}`]));
  rmSync(file, { force: true });
  return { write: TOTAL / write / MiB, read: TOTAL / read / MiB };
}

async function main() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tapir-bench-tape-'));
  const tgt = await startTgt(dir);
  const rows = [];
  try {
    const transport = await IscsiTransport.connect({ host: '127.0.0.1', port: tgt.port, targetName: TARGET });
    const changer = await MediaChanger.open(transport, 2);
    const drive = await TapeDrive.open(transport, 1);
    for (const [i, blockSize] of BLOCK_SIZES.entries()) {
      await changer.move(10 + i, 1);
      await drive.waitReady(10_000);
      const block = randomFillSync(Buffer.allocUnsafe(blockSize));
      const blocks = TOTAL / blockSize;
      const writes = [];
      const reads = [];
      const dds = [];
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
        dds.push(await ddCeiling(dir, blockSize));
      }
      await drive.unload();
      await changer.move(1, 10 + i);
      const dd = { write: median(dds.map((d) => d.write)), read: median(dds.map((d) => d.read)) };
      rows.push({ blockSize, write: median(writes), read: median(reads), dd, runs: { writes, reads, dds } });
    }
    await transport.close();
  } catch (err) {
    console.error(err);
    throw err;
  } finally {
    await tgt.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const f = (x) => x.toFixed(0).padStart(6);
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
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
