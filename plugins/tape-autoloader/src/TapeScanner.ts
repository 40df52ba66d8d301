import { isCleaningCartridge } from '@tapir/devices';
import type { Extent, RunContext } from '@tapir/sdk';
import { decodeMarker, MARKER_BLOCK_BYTES } from './ContinuationMarker.js';
import type { Mount } from './Mount.js';
import type { VolumeLabel } from './VolumeLabel.js';
import { SCRATCH_POOL, type TapeMounts } from './TapeMounts.js';

/** One tape file as a scan found it. */
interface ScannedFile {
  barcode: string;
  file: number;
  blockSize: number;
  /** Bytes read from the file. */
  bytes: number;
  /** Bytes up to the end-of-archive marker, when the file ends a pax archive (the zero padding dropped). */
  archiveBytes: number | undefined;
  saveSet: string | undefined;
  sequence: number;
}

/**
 * Reads every tape of the pool in the licensed slots without the catalog: the label, then each tape file — a
 * save set's first part (its id from the header member), a continuation marker and the part after it — and returns
 * each save set as the extents to open it with, in sequence order. Parts whose first part was not found are left out.
 */
export async function scanPool(
  mounts: TapeMounts,
  pool: string,
  ctx: RunContext,
  only?: readonly string[],
): Promise<Extent[][]> {
  // Tapes asked for by barcode must all be there (in the licensed slots) before anything is read.
  if (only) await mounts.requirePresent(only, ctx);
  const inv = await mounts.library.inventory();
  const files: ScannedFile[] = [];
  const tapes: Array<{ barcode: string; slot: number; label: VolumeLabel; files: ScannedFile[]; count: number }> = [];
  let mount: Mount | undefined;
  try {
    for (const slot of inv.slots) {
      if (!slot.full || !slot.barcode || isCleaningCartridge(slot)) continue;
      if (only && !only.includes(slot.barcode)) continue;
      const record = await ctx.media?.get(slot.barcode);
      if (!only && record && (record.state === 'scratch' || record.state === 'cleaning' || record.state === 'retired'))
        continue;
      mount ??= await mounts.reserveDrive(ctx);
      let tape;
      try {
        tape = await mounts.mountForReading(mount, slot.barcode, ctx);
      } catch (error) {
        ctx.log.info({ barcode: slot.barcode }, `scan: ${slot.barcode} skipped: ${(error as Error).message}`);
        continue;
      }
      if (!only && tape.label.pool !== pool) {
        await mounts.unmount(mount, ctx);
        continue;
      }
      const scanned = await scanTape(mount, tape.barcode, tape.label.blockSize, ctx);
      files.push(...scanned.files);
      tapes.push({ barcode: tape.barcode, slot: slot.address, label: tape.label, ...scanned });
      await mounts.unmount(mount, ctx);
    }
    for (const b of only ?? [])
      if (!tapes.some((t) => t.barcode === b))
        ctx.log.warn({ barcode: b }, `scan: ${b} is not a readable tapir tape in the licensed slots`);
  } finally {
    if (mount) await mounts.release(mount, ctx);
  }
  const bySaveSet = new Map<string, ScannedFile[]>();
  for (const f of files) {
    if (!f.saveSet) continue;
    bySaveSet.set(f.saveSet, [...(bySaveSet.get(f.saveSet) ?? []), f]);
  }
  const out: Extent[][] = [];
  for (const [id, parts] of bySaveSet) {
    parts.sort((a, b) => a.sequence - b.sequence);
    if (!parts.every((p, i) => p.sequence === i)) {
      ctx.log.warn({ saveSet: id }, `scan: save set ${id} misses parts (tapes not in the library?); left out`);
      continue;
    }
    out.push(
      parts.map((p, i) => ({
        sequence: p.sequence,
        medium: p.barcode,
        location: { file: p.file, blockSize: p.blockSize },
        bytes: i === parts.length - 1 ? (p.archiveBytes ?? p.bytes) : p.bytes,
      })),
    );
  }
  // Media records for tapes the catalog does not know, so that the rebuilt extents can name them. A tape whose last
  // file is a part that continues elsewhere was full.
  for (const t of tapes) {
    if (await ctx.media?.get(t.barcode)) continue;
    const last = t.files[t.files.length - 1];
    const continues =
      last?.saveSet !== undefined && files.some((f) => f.saveSet === last.saveSet && f.sequence > last.sequence);
    await ctx.media?.put({
      id: t.barcode,
      kind: 'tape',
      pool: t.label.pool,
      // A tape labelled into scratch holds nothing yet: any pool may take it.
      state: t.label.pool === SCRATCH_POOL ? 'scratch' : continues ? 'full' : 'append',
      label: JSON.stringify(t.label),
      files: t.count,
      bytes: t.files.reduce((n, f) => n + f.bytes, 0),
      location: `slot ${t.slot}`,
    });
  }
  return out;
}

/** Reads one loaded tape file by file (after the label), to end of data. */
async function scanTape(
  mount: Mount,
  barcode: string,
  blockSize: number,
  ctx: RunContext,
): Promise<{ files: ScannedFile[]; count: number }> {
  const drive = mount.drive;
  await drive.rewind();
  await drive.spaceFilemarks(1);
  const out: ScannedFile[] = [];
  let continuation: { saveSet: string; sequence: number } | undefined;
  let count = 0;
  for (let file = 1; ; file++) {
    const first = await drive.readBlock(Math.max(blockSize, MARKER_BLOCK_BYTES));
    if (first.kind === 'end-of-data') break;
    count = file;
    if (first.kind === 'filemark') continue; // an empty file
    const marker = decodeMarker(first.data);
    if (marker) {
      continuation = { saveSet: marker.saveSet, sequence: marker.sequence };
      await skipToFilemark(drive, blockSize);
      continue;
    }
    let bytes = 0;
    let lastNonZero = -1;
    const take = (data: Buffer) => {
      const i = lastNonZeroIn(data);
      if (i >= 0) lastNonZero = bytes + i;
      bytes += data.length;
    };
    take(first.data);
    for (;;) {
      const r = await drive.readBlock(blockSize);
      if (r.kind !== 'data') break;
      take(r.data);
    }
    const saveSet = continuation?.saveSet ?? saveSetIdOf(first.data);
    out.push({
      barcode,
      file,
      blockSize,
      bytes,
      archiveBytes: archiveLength(lastNonZero, bytes),
      saveSet,
      sequence: continuation?.sequence ?? 0,
    });
    ctx.log.debug({ barcode, file, saveSet, bytes }, `scan: ${barcode} file ${file}: ${saveSet ?? 'not a save set'}`);
    continuation = undefined;
  }
  return { files: out, count };
}

async function skipToFilemark(drive: Mount['drive'], blockSize: number): Promise<void> {
  for (;;) {
    const r = await drive.readBlock(Math.max(blockSize, MARKER_BLOCK_BYTES));
    if (r.kind !== 'data') return;
  }
}

/** The save-set id from the header member at the start of a pax archive (`.tapir-saveset/header.json`). */
export function saveSetIdOf(block: Uint8Array): string | undefined {
  const b = Buffer.from(block);
  for (let at = 0; at + 512 <= b.length;) {
    const name = cString(b.subarray(at, at + 100));
    const size = parseInt(cString(b.subarray(at + 124, at + 136)).trim() || '0', 8);
    const type = String.fromCharCode(b[at + 156] ?? 0);
    if (!b.subarray(at + 257, at + 262).equals(Buffer.from('ustar'))) return undefined;
    if (type === 'x' || type === 'g') {
      at += 512 + Math.ceil(size / 512) * 512;
      continue;
    }
    if (!name.endsWith('.tapir-saveset/header.json') || at + 512 + size > b.length) return undefined;
    try {
      const header = JSON.parse(b.subarray(at + 512, at + 512 + size).toString('utf8')) as { id?: unknown };
      return typeof header.id === 'string' ? header.id : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * The exact length of a pax archive whose last non-zero byte is at `lastNonZero` in a file of `total` bytes: that
 * byte rounded up to a 512-byte tar block, plus the two zero blocks of the end-of-archive marker; what follows is
 * the zero padding of the last tape block. Undefined when the file does not end that way.
 */
export function archiveLength(lastNonZero: number, total: number): number | undefined {
  if (lastNonZero < 0) return undefined;
  const length = Math.ceil((lastNonZero + 1) / 512) * 512 + 1024;
  return length <= total ? length : undefined;
}

function lastNonZeroIn(data: Buffer): number {
  for (let i = data.length - 1; i >= 0; i--) if (data[i] !== 0) return i;
  return -1;
}

function cString(b: Buffer): string {
  const z = b.indexOf(0);
  return b.subarray(0, z < 0 ? b.length : z).toString('utf8');
}
