// Builds the benchmark data set once: ~1 GiB of text, binaries, already-compressed files and many small files.
// Deterministic (seeded) so that runs on different days compare; cached under bench/.work/data.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** A fast deterministic byte generator (xorshift), for incompressible content without /dev/urandom. */
function* noise(seed) {
  let x = seed >>> 0 || 1;
  for (;;) {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let i = 0; i < buf.length; i += 4) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      buf.writeUInt32LE(x >>> 0, i);
    }
    yield buf;
  }
}

function text(lines, seed) {
  const words = [
    'backup',
    'restore',
    'tape',
    'drive',
    'catalog',
    'save',
    'set',
    'volume',
    'pool',
    'label',
    'error',
    'retry',
    'block',
    'filemark',
    'changer',
    'slot',
    'barcode',
    'verify',
    'stream',
    'job',
  ];
  let x = seed;
  const out = [];
  for (let i = 0; i < lines; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    const n = 5 + (x % 12);
    const parts = [];
    for (let w = 0; w < n; w++) parts.push(words[(x >> (w % 16)) % words.length]);
    out.push(
      `2026-11-${String(1 + (i % 28)).padStart(2, '0')}T${String(i % 24).padStart(2, '0')}:00:${String(i % 60).padStart(2, '0')}Z host${x % 7} tapir[${x % 9999}]: ${parts.join(' ')} id=${x.toString(16)}`,
    );
  }
  return out.join('\n') + '\n';
}

/** Creates the data set under `root` (MiB figures are targets) unless it is already there. */
export function buildDataset(root, scale = 1) {
  const marker = join(root, '.complete');
  if (existsSync(marker)) return root;
  mkdirSync(root, { recursive: true });
  // Text: log files, compressible ~4x.
  mkdirSync(join(root, 'text'), { recursive: true });
  for (let i = 0; i < Math.round(30 * scale); i++)
    writeFileSync(join(root, 'text', `app-${i}.log`), text(100_000, i + 1));
  // Binaries: real ELF shared objects from this machine.
  const bins = join(root, 'binaries');
  mkdirSync(bins, { recursive: true });
  let binBytes = 0;
  const libdir = '/usr/lib/x86_64-linux-gnu';
  for (const name of readdirSync(libdir).sort()) {
    const p = join(libdir, name);
    const s = statSync(p, { throwIfNoEntry: false });
    if (!s?.isFile() || !name.includes('.so')) continue;
    copyFileSync(p, join(bins, name));
    binBytes += s.size;
    if (binBytes > 250 * scale * 2 ** 20) break;
  }
  // Already compressed: gzip'd text and incompressible noise (media-like).
  mkdirSync(join(root, 'compressed'), { recursive: true });
  for (let i = 0; i < Math.round(8 * scale); i++)
    writeFileSync(join(root, 'compressed', `archive-${i}.gz`), gzipSync(text(60_000, 1000 + i), { level: 6 }));
  const gen = noise(42);
  for (let i = 0; i < Math.round(6 * scale); i++) {
    const parts = [];
    for (let m = 0; m < 32; m++) parts.push(gen.next().value);
    writeFileSync(join(root, 'compressed', `video-${i}.mp4`), Buffer.concat(parts));
  }
  // Many small files: source-tree-like, 1–16 KiB.
  const small = join(root, 'small');
  const files = Math.round(20_000 * scale);
  for (let i = 0; i < files; i++) {
    const dir = join(small, `d${Math.floor(i / 200)}`);
    if (i % 200 === 0) mkdirSync(dir, { recursive: true });
    const size = 1024 + ((i * 7919) % (15 * 1024));
    const body =
      i % 3 === 0 ? gen.next().value.subarray(0, size) : Buffer.from(text(Math.ceil(size / 80), i)).subarray(0, size);
    writeFileSync(join(dir, `f${i}.${i % 3 === 0 ? 'bin' : 'txt'}`), body);
  }
  writeFileSync(marker, createHash('sha256').update(String(scale)).digest('hex'));
  return root;
}

/** Bytes and file count of a tree. */
export function treeSize(root) {
  const out = execFileSync('du', ['-sb', '--exclude=.complete', root], { encoding: 'utf8' });
  const files = Number(
    execFileSync('sh', ['-c', `find '${root}' -type f ! -name .complete | wc -l`], { encoding: 'utf8' }),
  );
  return { bytes: Number(out.split('\t')[0]), files };
}
