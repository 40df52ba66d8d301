// The benchmark data set backed up to a tgt VTL through tapir's tape destination, side by side with the disk
// destination and with the raw drive (tapir tape write-test: the device path's ceiling), in one run.
//   npm run build && npx vite-node bench/tape-job.ts      (needs tgt and root; TAPIR_BENCH_SUBSET=small for a quick one)
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startVtl } from '../test/tgt/vtl.js';
import { buildDataset, treeSize } from './dataset.js';

const repo = resolve(import.meta.dirname, '..');
const data = buildDataset(join(repo, 'bench/.work/data'));
const source = process.env.TAPIR_BENCH_SUBSET ? join(data, process.env.TAPIR_BENCH_SUBSET) : data;
const bytes = treeSize(source).bytes;
const work = await mkdtemp(join(tmpdir(), 'tapir-bench-tape-'));
const vtl = await startVtl({ tapeSizeMb: Math.ceil((bytes * 1.3) / 2 ** 20) + 256 });

function tapir(args: string[]): Promise<{ code: number | null; seconds: number; stdout: string; stderr: string }> {
  const started = process.hrtime.bigint();
  const child = spawn(
    process.execPath,
    [join(repo, 'bin/run.js'), ...args, '--home', join(work, 'home'), '--config', join(work, 'tapir.yaml')],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  return new Promise((done) =>
    child.on('close', (code) =>
      done({ code, seconds: Number(process.hrtime.bigint() - started) / 1e9, stdout, stderr }),
    ),
  );
}

try {
  await writeFile(
    join(work, 'tapir.yaml'),
    [
      'version: 1',
      'destinations:',
      `  tapes: { kind: tape, changer: { url: ${vtl.url}, lun: ${vtl.changerLun}, drives: { '1': { lun: 1 }, '2': { lun: 2 } } }, pool: bench, blockSize: 262144 }`,
      `  disk: { kind: disk, path: ${join(work, 'disk')} }`,
      'jobs:',
      `  to-tape: { sources: [ { kind: files, paths: [${source}] } ], destination: tapes, level: full }`,
      `  to-disk: { sources: [ { kind: files, paths: [${source}] } ], destination: disk, level: full }`,
      '',
    ].join('\n'),
  );
  const mib = bytes / 2 ** 20;
  const rows: Array<[string, number]> = [];
  for (const job of ['to-disk', 'to-tape']) {
    const r = await tapir(['job', 'run', job, '--json']);
    if (r.code !== 0) throw new Error(`${job} failed: ${r.stdout}${r.stderr}`);
    rows.push([`tapir job ${job} (no compression)`, r.seconds]);
  }
  // The raw drive: the same number of 256 KiB blocks written by tapir's write test to a scratch tape in drive 2.
  const blocks = Math.ceil(bytes / 262144);
  const load = await tapir([
    'device',
    'load',
    'TAPE0006L6',
    '--drive',
    'drive:2',
    '--changer',
    `${vtl.url}/${vtl.changerLun}`,
    '--json',
  ]);
  if (load.code !== 0) throw new Error(`load failed: ${load.stdout}${load.stderr}`);
  const raw = await tapir([
    'tape',
    'write-test',
    `${vtl.url}/2`,
    '--blocks',
    String(blocks),
    '--block-size',
    '262144',
    '--force',
    '--json',
  ]);
  if (raw.code !== 0) throw new Error(`write-test failed: ${raw.stdout}${raw.stderr}`);
  rows.push(['raw drive, tapir tape write-test', raw.seconds]);
  console.log(`data set ${mib.toFixed(0)} MiB (${source}); tgt VTL over iSCSI on loopback; wall includes CLI start-up`);
  for (const [label, seconds] of rows)
    console.log(
      `${label.padEnd(36)} ${seconds.toFixed(2).padStart(7)} s  ${(mib / seconds).toFixed(0).padStart(5)} MiB/s`,
    );
  const tape = rows[1]![1];
  console.log(
    `tape job / raw drive throughput: ${(rows[2]![1] / tape).toFixed(2)}; tape job / disk job: ${(rows[0]![1] / tape).toFixed(2)}`,
  );
} finally {
  await vtl.stop();
  await rm(work, { recursive: true, force: true });
}
