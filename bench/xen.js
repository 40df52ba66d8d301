#!/usr/bin/env node
// Export of a 2 GiB VM disk through tapir to the disk destination, side by side with a plain HTTP download of the
// same export from the XAPI simulator (the ceiling), in one run. The VM is halted and backed up with method
// `offline`, so both read the same VDI and no snapshot copy is measured.
//   npm run build && node bench/xen.js            (TAPIR_BENCH_MIB=512 for a quick run;
//   TAPIR_BENCH_CPU_PROF=<dir> writes a V8 CPU profile of the tapir process there)
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { startXapiSimulator } from '../test/xapi-sim/dist/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const MiB = 1 << 20;
const size = Number(process.env.TAPIR_BENCH_MIB ?? 2048) * MiB;
const work = mkdtempSync(join(tmpdir(), 'tapir-bench-xen-'));
const password = 'bench';
const sim = await startXapiSimulator({
  password,
  vms: [{ name: 'big', powerState: 'Halted', disks: [{ sizeBytes: size }] }],
});

function run(cmd, args) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let lastOutput = process.hrtime.bigint();
  child.stdout.on('data', (d) => {
    stdout += d;
    lastOutput = process.hrtime.bigint();
  });
  child.stderr.on('data', (d) => (stderr += d));
  // `linger`: from the job's last output (its --json report, printed when the run is over) to the process's exit.
  return new Promise((resolveRun) =>
    child.on('close', (code) =>
      resolveRun({ code, stdout, stderr, linger: Number(process.hrtime.bigint() - lastOutput) / 1e9 }),
    ),
  );
}

async function rpc(method, params) {
  const r = await fetch(`${sim.url}/jsonrpc`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = await r.json();
  if (body.error) throw new Error(`${method}: ${JSON.stringify(body.error)}`);
  return body.result;
}

try {
  // The ceiling: log in, find the VM's disk, download its VHD export to a file on the same file system.
  const session = await rpc('session.login_with_password', ['root', password, '1.0', 'bench']);
  const [vm] = await rpc('VM.get_by_name_label', [session, 'big']);
  const vbds = await rpc('VM.get_VBDs', [session, vm]);
  const vdis = [];
  for (const vbd of vbds)
    if ((await rpc('VBD.get_type', [session, vbd])) === 'Disk') vdis.push(await rpc('VBD.get_VDI', [session, vbd]));
  const started = process.hrtime.bigint();
  const response = await fetch(`${sim.url}/export_raw_vdi?session_id=${session}&vdi=${vdis[0]}&format=vhd`);
  await pipeline(Readable.fromWeb(response.body), createWriteStream(join(work, 'ceiling.vhd')));
  const ceiling = Number(process.hrtime.bigint() - started) / 1e9;
  const exported = statSync(join(work, 'ceiling.vhd')).size;
  await rpc('session.logout', [session]);

  // tapir: a job with the xenserver source (offline, vhd, no compression) to the disk destination.
  writeFileSync(
    join(work, 'tapir.yaml'),
    `version: 1\ndestinations:\n  local: { kind: disk, path: ${join(work, 'dest')} }\njobs:\n  big:\n    sources: [ { kind: xenserver, url: '${sim.url}', password: '${password}', vm: big, method: offline, format: vhd, cbt: false } ]\n    destination: local\n`,
  );
  const t0 = process.hrtime.bigint();
  // Asynchronously: the simulator answers from this very process.
  const profile = process.env.TAPIR_BENCH_CPU_PROF;
  const r = await run(process.execPath, [
    ...(profile ? ['--cpu-prof', '--cpu-prof-dir', profile] : []),
    resolve(here, '..', 'bin', 'run.js'),
    'job',
    'run',
    'big',
    '--config',
    join(work, 'tapir.yaml'),
    '--home',
    join(work, 'home'),
    '--json',
  ]);
  const tapir = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.code !== 0) throw new Error(`tapir job failed: ${r.stdout}${r.stderr}`);
  const stored = JSON.parse(r.stdout).saveSets[0].storedBytes;

  const rate = (bytes, s) => `${(bytes / MiB / s).toFixed(0)} MiB/s`;
  console.log(`disk ${size / MiB} MiB (random content), VHD export ${(exported / MiB).toFixed(0)} MiB`);
  console.log(`plain HTTP download to a file (ceiling): ${ceiling.toFixed(2)} s, ${rate(exported, ceiling)}`);
  console.log(
    `tapir job run (CLI start, login, export, save set on disk, catalog): ${tapir.toFixed(2)} s, ${rate(exported, tapir)}, ${(stored / MiB).toFixed(0)} MiB stored`,
  );
  console.log(`tapir process exit after its report: ${r.linger.toFixed(2)} s`);
  console.log(`tapir / ceiling throughput: ${(ceiling / tapir).toFixed(2)} (goal ≥ 0.80)`);
} finally {
  await sim.stop();
  rmSync(work, { recursive: true, force: true });
}
