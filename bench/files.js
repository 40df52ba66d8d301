#!/usr/bin/env node
// Backs up and restores the ~1 GiB mixed data set with tapir and its peers in one run, side by side:
// wall time, CPU time, peak RSS and output size, with ratios against tapir. Needs: GNU time, zstd, restic, borg.
// Usage: node bench/files.js [--keep]; TAPIR_BENCH_RUNS=n backs up n times with each tool (default 3).
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
  // Every command starts with no dirty pages of another: tapir syncs its save set before it calls it complete, and
  // its syncs would otherwise wait for the writeback of whatever ran before (a peer's 400 MiB repository).
  execFileSync('sync');
  // And with the data set in the page cache: the first command after borg ran ~1.5 s slower, whichever it was.
  // (Through a pipe: GNU tar reads no file at all when its archive is /dev/null.)
  execFileSync('sh', ['-c', `tar cf - -C ${q(data)} . | cat > /dev/null`]);
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

/**
 * The tools, each as a function of its output directory: the backup command, the restore command (made once the
 * backup ran), and the path whose size is the output.
 */
const tools = [];
// tapir, at the compression level comparable to `zstd -1`, at its default, and without compression.
for (const [name, flags] of [
  ['tapir zstd-1', ['--compression-level', '1']],
  ['tapir zstd-3 (default)', []],
  ['tapir none', ['--compression', 'none']],
]) {
  tools.push({
    name,
    make: (dir) => {
      const report = join(dir, 'backup.json');
      return {
        backup: `${tapirCmd(['backup', data, '--to', join(dir, 'dest'), '--home', join(dir, 'home'), '--level', 'full', '--json', ...flags])} > ${q(report)}`,
        restore: () => {
          const id = JSON.parse(readFileSync(report, 'utf8')).saveSets[0].saveSet;
          return `${tapirCmd(['restore', id, '--to', join(dir, 'restore'), '--home', join(dir, 'home'), '--json'])} > /dev/null`;
        },
        output: join(dir, 'dest'),
      };
    },
  });
}
for (const level of [1, 3]) {
  tools.push({
    name: `tar | zstd -${level}`,
    make: (dir) => {
      const file = join(dir, 'data.tar.zst');
      return {
        backup: `tar cf - -C ${q(data)} . | zstd -${level} -q -o ${q(file)}`,
        restore: () => `mkdir -p ${q(join(dir, 'x'))} && zstd -d -q -c ${q(file)} | tar xf - -C ${q(join(dir, 'x'))}`,
        output: file,
      };
    },
  });
}
// The same writes made durable, as tapir's are before it calls a save set complete (restic and borg sync theirs
// too): `tar | zstd -1` followed by `sync`, and `tar` without compression followed by `sync`, the least a tool that
// stores the set uncompressed can take on this disk. Reference rows only: no restore.
tools.push({
  name: 'tar | zstd -1, synced',
  make: (dir) => {
    const file = join(dir, 'data.tar.zst');
    return { backup: `tar cf - -C ${q(data)} . | zstd -1 -q -o ${q(file)} && sync`, output: file };
  },
});
tools.push({
  name: 'tar, synced',
  make: (dir) => {
    const file = join(dir, 'data.tar');
    return { backup: `tar cf ${q(file)} -C ${q(data)} . && sync`, output: file };
  },
});
tools.push({
  name: 'restic (default)',
  make: (dir) => {
    execFileSync('restic', ['init', '-q', '-r', join(dir, 'repo')], { env });
    return {
      backup: `restic -q -r ${q(join(dir, 'repo'))} backup ${q(data)}`,
      restore: () => `restic -q -r ${q(join(dir, 'repo'))} restore latest --target ${q(join(dir, 'x'))}`,
      output: join(dir, 'repo'),
    };
  },
});
tools.push({
  name: 'borg (default lz4, no encryption)',
  make: (dir) => {
    execFileSync('borg', ['init', '--encryption=none', join(dir, 'repo')], { env });
    return {
      backup: `borg create ${q(join(dir, 'repo'))}::a ${q(data)}`,
      restore: () =>
        `mkdir -p ${q(join(dir, 'x'))} && cd ${q(join(dir, 'x'))} && borg extract ${q(join(dir, 'repo'))}::a`,
      output: join(dir, 'repo'),
    };
  },
});

// Backups in rounds, every tool once per round, so that each tool meets the machine's slow and fast moments alike
// (its page-cache cost drifts within minutes); the median of each is reported. Restores once, from the last round.
const rounds = Math.max(1, Number(process.env.TAPIR_BENCH_RUNS ?? 3));
const backups = new Map(tools.map((t) => [t.name, []]));
const made = new Map();
for (let round = 0; round < rounds; round++) {
  for (const tool of tools) {
    const commands = tool.make(fresh(join(out, tool.name.replace(/\W+/g, '-'))));
    const b = measure(`${tool.name} backup`, commands.backup);
    b.size = sizeOf(commands.output);
    backups.get(tool.name).push(b);
    made.set(tool.name, commands);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
for (const tool of tools) {
  const runs = backups.get(tool.name);
  rows.push({
    label: `${tool.name} backup`,
    wall: median(runs.map((r) => r.wall)),
    walls: runs.map((r) => r.wall),
    cpu: median(runs.map((r) => r.cpu)),
    rssMiB: Math.max(...runs.map((r) => r.rssMiB)),
    size: runs.at(-1).size,
  });
  const { restore } = made.get(tool.name);
  if (restore) rows.push(measure(`${tool.name} restore`, restore()));
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
console.log(
  '\n' +
    [
      `tool (backups: median of ${rounds})`,
      'wall s',
      'cpu s',
      'peak RSS MiB',
      'output MiB',
      'wall vs tapir zstd-1',
      'walls',
    ].join(' | '),
);
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
      r.walls ? r.walls.map((w) => w.toFixed(2)).join(' ') : '',
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
const tarzSynced = base('tar | zstd -1, synced backup');
const tarSynced = base('tar, synced backup');
console.log(
  `  durable alike: tapir zstd-1 / (tar|zstd -1; sync) ${(t1.wall / tarzSynced.wall).toFixed(2)}; restic / (tar; sync) ${(restic.wall / tarSynced.wall).toFixed(2)}, the most any tool storing the set uncompressed reaches here`,
);
const perRound = (a, b) => a.walls.map((w, i) => (w / b.walls[i]).toFixed(2)).join(' ');
console.log(
  `  round by round: tapir zstd-1 / tar|zstd -1 ${perRound(t1, tarz)}; restic / tapir none ${perRound(restic, none)}`,
);
console.log(
  `tapir peak RSS: ${t1.rssMiB.toFixed(0)} MiB for ${mib(input.bytes)} MiB, ${memTwice.rssMiB.toFixed(0)} MiB for the set twice (${mib(2 * input.bytes)} MiB)`,
);
if (!process.argv.includes('--keep')) rmSync(out, { recursive: true, force: true });
if (!existsSync(data)) process.exit(1);
