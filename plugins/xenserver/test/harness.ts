import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Logger, RunContext, RunWarning, Source } from '@tapir/sdk';
import { parseOvaXml } from '../../../test/xapi-sim/src/index.js';

export const run = promisify(execFile);
export const MiB = 1024 * 1024;

export const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** A logger that keeps every line, to check what was said (and that no password was). */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log = (level: string) => (obj: object | string, msg?: string) => {
    lines.push(`${level} ${typeof obj === 'string' ? obj : `${msg ?? ''} ${JSON.stringify(obj)}`}`);
  };
  return { lines, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

export function runContext(
  job = 'vmjob',
): RunContext & { warnings: RunWarning[]; log: ReturnType<typeof memoryLogger> } {
  const warnings: RunWarning[] = [];
  return { job, signal: new AbortController().signal, log: memoryLogger(), warn: (w) => warnings.push(w), warnings };
}

/** One item as the harness saw it: its data when tapir would have read it, or a reference to the parent's. */
export interface Collected {
  path: string;
  type: string;
  changeToken?: string;
  data?: Buffer;
  referenced: boolean;
}

/**
 * Drives a source the way tapir's backup run does: items in order, data read only when the item changed against
 * the parent (same path, same change token), `close()` at the end whatever happened.
 */
export async function collect(source: Source, ctx: RunContext, parent: Collected[] = []): Promise<Collected[]> {
  const previous = new Map(parent.map((c) => [c.path, c]));
  const out: Collected[] = [];
  try {
    for await (const item of source.items(ctx)) {
      const before = previous.get(item.path);
      if (before && item.changeToken !== undefined && before.changeToken === item.changeToken) {
        out.push({
          path: item.path,
          type: item.type,
          changeToken: item.changeToken,
          ...(before.data ? { data: before.data } : {}),
          referenced: true,
        });
        continue;
      }
      const chunks: Buffer[] = [];
      if (item.open) for await (const chunk of item.open(ctx.signal)) chunks.push(Buffer.from(chunk));
      out.push({
        path: item.path,
        type: item.type,
        ...(item.changeToken ? { changeToken: item.changeToken } : {}),
        data: Buffer.concat(chunks),
        referenced: false,
      });
    }
  } finally {
    await source.close?.();
  }
  return out;
}

/** A temp directory removed by `dispose`. */
export async function scratch(): Promise<{ path: string; dispose(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'tapir-xen-test-'));
  return { path, dispose: () => rm(path, { recursive: true, force: true }) };
}

/** The raw disk a VHD (or a chain of a full and deltas, oldest first) holds, through qemu-img. */
export async function vhdToRaw(dir: string, chain: Buffer[]): Promise<Buffer> {
  let image = Buffer.alloc(0);
  for (const [i, vhd] of chain.entries()) {
    const file = join(dir, `link-${i}-${Math.random().toString(36).slice(2)}.vhd`);
    await writeFile(file, vhd);
    await run('qemu-img', ['convert', '-f', 'vpc', '-O', 'raw', file, `${file}.raw`], { maxBuffer: 1 << 20 });
    const raw = await readFile(`${file}.raw`);
    if (i === 0) image = raw;
    else {
      // A differencing VHD opened alone reads unallocated blocks as zeros: apply only its present blocks.
      const present = presentBlocks(vhd);
      for (const block of present)
        raw.copy(image, block * 2 * MiB, block * 2 * MiB, Math.min(raw.length, (block + 1) * 2 * MiB));
    }
  }
  return image;
}

/** Indices of the 2 MiB blocks a dynamic or differencing VHD holds (its BAT entries that are set). */
export function presentBlocks(vhd: Buffer): number[] {
  const header = 512;
  const tableOffset = Number(vhd.readBigUInt64BE(header + 16));
  const entries = vhd.readUInt32BE(header + 28);
  const blocks: number[] = [];
  for (let i = 0; i < entries; i++) if (vhd.readUInt32BE(tableOffset + i * 4) !== 0xffffffff) blocks.push(i);
  return blocks;
}

/** The user disks of an XVA, through GNU tar and xva-img: SHA-256 of each, in ova.xml order. */
export async function xvaDiskHashes(dir: string, xva: Buffer): Promise<string[]> {
  const at = join(dir, `xva-${Math.random().toString(36).slice(2)}`);
  await mkdir(at);
  await writeFile(join(at, 'vm.xva'), xva);
  await run('tar', ['xf', 'vm.xva'], { cwd: at });
  const { objects } = parseOvaXml(await readFile(join(at, 'ova.xml'), 'utf8'));
  const hashes: string[] = [];
  for (const vdi of objects.filter((o) => o.class === 'VDI' && o.snapshot['type'] === 'user')) {
    await run('xva-img', ['-p', 'disk-export', `${vdi.id}/`, `${vdi.id}.raw`], { cwd: at });
    hashes.push(sha256(await readFile(join(at, `${vdi.id}.raw`))));
  }
  return hashes;
}

/** Deterministic pseudo-random content. */
export function content(size: number, seed: number): Buffer {
  const buf = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    buf.writeUInt32LE(x >>> 0, i);
  }
  return buf;
}

/** A self-signed certificate and its key (PEM) in `dir`, as a fresh XenServer has, made with Debian's openssl. */
export function selfSignedCertificate(dir: string, commonName: string): { key: Buffer; cert: Buffer } {
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1'],
      ...['-subj', `/CN=${commonName}`, '-keyout', key, '-out', cert],
    ],
    { stdio: 'ignore' },
  );
  return { key: readFileSync(key), cert: readFileSync(cert) };
}
