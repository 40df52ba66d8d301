#!/usr/bin/env node
// Export of a 2 GiB VM disk through tapir to the disk destination, side by side with a plain HTTP download of the
// same export from the XAPI simulator by curl (the ceiling), alternately, TAPIR_BENCH_RUNS times (default 3). The VM is halted and backed up with method
// `offline`, so both read the same VDI and no snapshot copy is measured.
//   npm run build && node bench/xen.js            (TAPIR_BENCH_MIB=512 for a quick run;
//   TAPIR_BENCH_CPU_PROF=<dir> writes a V8 CPU profile of the tapir process there; TAPIR_BENCH_TLS=1 over HTTPS)
import { execFileSync, spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startXapiSimulator } from '../test/xapi-sim/dist/index.js';

const here = dirname(fileURLToPath(import.meta.url));
// TAPIR_BENCH_BIN: another build's bin/run.js, to compare builds against the same simulator and curl.
const tapirBin = process.env.TAPIR_BENCH_BIN ?? resolve(here, '..', 'bin', 'run.js');
const MiB = 1 << 20;
const size = Number(process.env.TAPIR_BENCH_MIB ?? 2048) * MiB;
const work = mkdtempSync(join(tmpdir(), 'tapir-bench-xen-'));
const password = 'bench';
// TAPIR_BENCH_TLS=1: the pool serves HTTPS with a self-signed certificate (XenServer's default), curl runs with -k.
const tls = process.env.TAPIR_BENCH_TLS === '1';
if (tls)
  execFileSync(
    'openssl',
    [
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1'],
      ...['-subj', '/CN=bench', '-keyout', join(work, 'key.pem'), '-out', join(work, 'cert.pem')],
    ],
    { stdio: 'ignore' },
  );
const sim = await startXapiSimulator({
  password,
  vms: [{ name: 'big', powerState: 'Halted', disks: [{ sizeBytes: size }] }],
  ...(tls ? { tls: { key: readFileSync(join(work, 'key.pem')), cert: readFileSync(join(work, 'cert.pem')) } } : {}),
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
  // Node's HTTP(S) client rather than fetch: the certificate is self-signed with TAPIR_BENCH_TLS.
  const text = await new Promise((resolveText, reject) => {
    const req = (tls ? httpsRequest : httpRequest)(
      `${sim.url}/jsonrpc`,
      { method: 'POST', headers: { 'content-type': 'application/json' }, rejectUnauthorized: false },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (data += d));
        res.on('end', () => resolveText(data));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }));
  });
  const body = JSON.parse(text);
  if (body.error) throw new Error(`${method}: ${JSON.stringify(body.error)}`);
  return body.result;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const rate = (bytes, s) => (bytes / MiB / s).toFixed(0);

/**
 * The ceiling: the VHD export downloaded to a file on the same file system by curl, a process of its own as tapir is.
 * Also how long making that file durable takes (tapir fsyncs a save set before it calls it complete; curl does not).
 */
async function ceilingRun(url, file) {
  const started = process.hrtime.bigint();
  const r = await run('curl', ['-sS', '--fail', ...(tls ? ['-k'] : []), '-o', file, url]);
  if (r.code !== 0) throw new Error(`curl failed: ${r.stderr}`);
  const downloaded = process.hrtime.bigint();
  const fd = openSync(file, 'r');
  fsyncSync(fd);
  closeSync(fd);
  const synced = process.hrtime.bigint();
  return { seconds: Number(downloaded - started) / 1e9, fsync: Number(synced - downloaded) / 1e9 };
}

/** tapir: a job with the xenserver source (offline, vhd, no compression) to the disk destination, its own home. */
async function tapirRun(index) {
  const dir = join(work, `run-${index}`);
  mkdirSync(dir);
  writeFileSync(
    join(dir, 'tapir.yaml'),
    `version: 1\ndestinations:\n  local: { kind: disk, path: ${join(dir, 'dest')} }\njobs:\n  big:\n    sources: [ { kind: xenserver, url: '${sim.url}', password: '${password}', vm: big, method: offline, format: vhd, cbt: false } ]\n    destination: local\n`,
  );
  const profile = process.env.TAPIR_BENCH_CPU_PROF;
  const t0 = process.hrtime.bigint();
  // Asynchronously: the simulator answers from this very process.
  const r = await run(process.execPath, [
    ...(profile ? ['--cpu-prof', '--cpu-prof-dir', profile] : []),
    tapirBin,
    ...['job', 'run', 'big', '--config', join(dir, 'tapir.yaml'), '--home', join(dir, 'home'), '--json'],
  ]);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.code !== 0) throw new Error(`tapir job failed: ${r.stdout}${r.stderr}`);
  const stored = JSON.parse(r.stdout).saveSets[0].storedBytes;
  // The export phase: from the save set's start (login and VM lookup done) to its completion (fsync'd, renamed).
  const listed = await run(process.execPath, [
    tapirBin,
    ...['catalog', 'save-sets', '--home', join(dir, 'home'), '--json'],
  ]);
  const [saveSet] = JSON.parse(listed.stdout).saveSets;
  const exportSeconds = (Date.parse(saveSet.completedAt) - Date.parse(saveSet.startedAt)) / 1000;
  rmSync(dir, { recursive: true, force: true });
  return { seconds, exportSeconds, stored, linger: r.linger };
}

try {
  const session = await rpc('session.login_with_password', ['root', password, '1.0', 'bench']);
  const [vm] = await rpc('VM.get_by_name_label', [session, 'big']);
  const vbds = await rpc('VM.get_VBDs', [session, vm]);
  const vdis = [];
  for (const vbd of vbds)
    if ((await rpc('VBD.get_type', [session, vbd])) === 'Disk') vdis.push(await rpc('VBD.get_VDI', [session, vbd]));
  const exportUrl = `${sim.url}/export_raw_vdi?session_id=${session}&vdi=${vdis[0]}&format=vhd`;
  const file = join(work, 'ceiling.vhd');

  const runs = Number(process.env.TAPIR_BENCH_RUNS ?? 3);
  console.log(`disk ${size / MiB} MiB (random content), ${runs} runs; each: curl (ceiling), then tapir`);
  const ratios = [];
  const durableRatios = [];
  const exportRatios = [];
  const lingers = [];
  for (let i = 0; i < runs; i++) {
    const ceiling = await ceilingRun(exportUrl, file);
    const exported = statSync(file).size;
    rmSync(file);
    const t = await tapirRun(i);
    ratios.push(ceiling.seconds / t.seconds);
    exportRatios.push(ceiling.seconds / t.exportSeconds);
    durableRatios.push((ceiling.seconds + ceiling.fsync) / t.seconds);
    lingers.push(t.linger);
    console.log(
      `run ${i + 1}: curl ${ceiling.seconds.toFixed(2)} s ${rate(exported, ceiling.seconds)} MiB/s (+ fsync ${ceiling.fsync.toFixed(2)} s)` +
        ` · tapir job run (CLI start, login, export, save set fsync'd on disk, catalog) ${t.seconds.toFixed(2)} s ${rate(exported, t.seconds)} MiB/s, ${(t.stored / MiB).toFixed(0)} MiB stored` +
        ` · ratio ${(ceiling.seconds / t.seconds).toFixed(2)} (${((ceiling.seconds + ceiling.fsync) / t.seconds).toFixed(2)} against curl + fsync)` +
        ` · export phase ${t.exportSeconds.toFixed(2)} s, ratio ${(ceiling.seconds / t.exportSeconds).toFixed(2)}` +
        ` · exit ${t.linger.toFixed(2)} s after its report`,
    );
  }
  await rpc('session.logout', [session]);
  console.log(
    `median tapir / ceiling throughput: ${median(ratios).toFixed(2)} (goal ≥ 0.80), ${median(durableRatios).toFixed(2)} against curl + fsync,` +
      ` ${median(exportRatios).toFixed(2)} for the export phase alone (the save set's start to its completion, CLI start-up and login left out); median exit after the report: ${median(lingers).toFixed(2)} s`,
  );
} finally {
  await sim.stop();
  rmSync(work, { recursive: true, force: true });
}
