#!/usr/bin/env node
// Backs up and restores the ~1 GiB mixed data set with tapir and its peers in one run, side by side:
// wall time, CPU time, peak RSS and output size, with ratios against tapir. Needs: GNU time, zstd, restic, borg.
// Usage: node bench/files.js [--keep]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDataset, treeSize } from './dataset.js';

const here = dirname(fileURLToPath(import.meta.url));
const work = resolve(here, '.work');
const data = buildDataset(join(work, 'data'));
const out = join(work, 'run');
const tapir = [process.execPath, resolve(here, '..', 'bin', 'run.js')];
const env = {
  ...process.env,
  RESTIC_PASSWORD: 'bench',
  BORG_PASSPHRASE: '',
  BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes',
  BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes',
};

for (const tool of ['zstd', 'restic', 'borg', '/usr/bin/time']) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
    console.error(`bench needs ${tool}: apt-get install -y time zstd restic borgbackup`);
    process.exit(2);
  }
}

/** Runs a shell command under GNU time; returns wall and CPU seconds and peak RSS in MiB. */
function measure(label, command) {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', 'sh', '-c', command], {
    env,
    encoding: 'utf8',
    maxBuffer: 256 << 20,
  });
  if (r.status !== 0) throw new Error(`${label} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const [wall, user, sys, rssKb] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
  return { label, wall, cpu: user + sys, rssMiB: rssKb / 1024 };
}

const sizeOf = (path) => Number(execFileSync('du', ['-sb', path], { encoding: 'utf8' }).split('\t')[0]);
const q = (s) => `'${s.replace(/'/g, "'\\''")}'`;
const tapirCmd = (args) => [...tapir, ...args].map(q).join(' ');

function fresh(path) {
  rmSync(path, { recursive: true, force: true });
  mkdirSync(path, { recursive: true });
  return path;
}

const input = treeSize(data);
console.log(
  `data set: ${(input.bytes / 2 ** 20).toFixed(0)} MiB in ${input.files} files (text, ELF binaries, compressed, many small files)`,
);
execFileSync('tar', ['cf', '/dev/null', '-C', data, '.']); // warm the page cache for everyone alike

const rows = [];
/** `restore` is a command, or a function that returns one once the backup has run. */
function backupAndRestore(name, backup, restore, output) {
  const b = measure(`${name} backup`, backup);
  b.size = sizeOf(output);
  rows.push(b);
  rows.push(measure(`${name} restore`, typeof restore === 'function' ? restore() : restore));
}

// tapir, at the compression level comparable to `zstd -1`, at its default, and without compression.
for (const [name, flags] of [
  ['tapir zstd-1', ['--compression-level', '1']],
  ['tapir zstd-3 (default)', []],
  ['tapir none', ['--compression', 'none']],
]) {
  const dir = fresh(join(out, name.replace(/\W+/g, '-')));
  const report = join(dir, 'backup.json');
  backupAndRestore(
    name,
    `${tapirCmd(['backup', data, '--to', join(dir, 'dest'), '--home', join(dir, 'home'), '--level', 'full', '--json', ...flags])} > ${q(report)}`,
    () => {
      const id = JSON.parse(readFileSync(report, 'utf8')).saveSets[0].saveSet;
      return `${tapirCmd(['restore', id, '--to', join(dir, 'restore'), '--home', join(dir, 'home'), '--json'])} > /dev/null`;
    },
    join(dir, 'dest'),
  );
}

for (const level of [1, 3]) {
  const dir = fresh(join(out, `tar-zstd-${level}`));
  const file = join(dir, 'data.tar.zst');
  backupAndRestore(
    `tar | zstd -${level}`,
    `tar cf - -C ${q(data)} . | zstd -${level} -q -o ${q(file)}`,
    `mkdir -p ${q(join(dir, 'x'))} && zstd -d -q -c ${q(file)} | tar xf - -C ${q(join(dir, 'x'))}`,
    file,
  );
}

{
  const dir = fresh(join(out, 'restic'));
  execFileSync('restic', ['init', '-q', '-r', join(dir, 'repo')], { env });
  backupAndRestore(
    'restic (default)',
    `restic -q -r ${q(join(dir, 'repo'))} backup ${q(data)}`,
    `restic -q -r ${q(join(dir, 'repo'))} restore latest --target ${q(join(dir, 'x'))}`,
    join(dir, 'repo'),
  );
}
{
  const dir = fresh(join(out, 'borg'));
  execFileSync('borg', ['init', '--encryption=none', join(dir, 'repo')], { env });
  backupAndRestore(
    'borg (default lz4, no encryption)',
    `borg create ${q(join(dir, 'repo'))}::a ${q(data)}`,
    `mkdir -p ${q(join(dir, 'x'))} && cd ${q(join(dir, 'x'))} && borg extract ${q(join(dir, 'repo'))}::a`,
    join(dir, 'repo'),
  );
}

// Peak memory against data-set size: the set, and the set twice (a second copy beside it: same shape, twice the
// bytes and files). Half of the set would differ in shape too (large files use more buffers than small ones).
const copy = join(work, 'data-copy');
if (!existsSync(copy)) execFileSync('cp', ['-a', data, copy]);
const twice = fresh(join(out, 'tapir-twice'));
const memTwice = measure(
  'tapir twice',
  `${tapirCmd(['backup', data, copy, '--to', join(twice, 'd'), '--home', join(twice, 'h'), '--level', 'full', '--compression-level', '1', '--json'])} > /dev/null`,
);

const mib = (n) => (n / 2 ** 20).toFixed(0);
const base = (label) => rows.find((r) => r.label === label);
const t1 = base('tapir zstd-1 backup');
console.log('\n' + ['tool', 'wall s', 'cpu s', 'peak RSS MiB', 'output MiB', 'wall vs tapir zstd-1'].join(' | '));
for (const r of rows) {
  const ref = r.label.endsWith('restore') ? base('tapir zstd-1 restore') : t1;
  console.log(
    [
      r.label,
      r.wall.toFixed(2),
      r.cpu.toFixed(2),
      r.rssMiB.toFixed(0),
      r.size ? mib(r.size) : '',
      `${(r.wall / ref.wall).toFixed(2)}×`,
    ].join(' | '),
  );
}
const restic = base('restic (default) backup');
const tarz = base('tar | zstd -1 backup');
const none = base('tapir none backup');
console.log(`\nrestic backup wall / tapir zstd-1 backup wall: ${(restic.wall / t1.wall).toFixed(2)} (goal ≥ 3)`);
// Without compression: as tapir writes to tape drives, which compress in hardware.
console.log(
  `restic backup wall / tapir backup wall without compression: ${(restic.wall / none.wall).toFixed(2)} (goal ≥ 3)`,
);
console.log(`tapir zstd-1 backup wall / tar|zstd -1 wall: ${(t1.wall / tarz.wall).toFixed(2)} (goal ≤ 1.3)`);
console.log(
  `tapir peak RSS: ${t1.rssMiB.toFixed(0)} MiB for ${mib(input.bytes)} MiB, ${memTwice.rssMiB.toFixed(0)} MiB for the set twice (${mib(2 * input.bytes)} MiB)`,
);
if (!process.argv.includes('--keep')) rmSync(out, { recursive: true, force: true });
if (!existsSync(data)) process.exit(1);
