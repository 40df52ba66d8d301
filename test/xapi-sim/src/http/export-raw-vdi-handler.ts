import type { IncomingMessage, ServerResponse } from 'node:http';
import { writeVhd } from '../format/vhd-writer.js';
import { VHD_BLOCK_SIZE } from '../format/vhd-header.js';
import { XapiFailure } from '../model/xapi-failure.js';
import type { SimulatedHost, XapiPool } from '../model/xapi-pool.js';
import type { VirtualDisk } from '../storage/virtual-disk.js';
import { hostServingVdi } from './data-location.js';
import { sendBody } from './send-body.js';
import { beginTransfer, redirectTo, refuseTransfer, transferHeaders } from './transfer-request.js';

/** A VDI reference from a query value holding a reference or a UUID. */
export function vdiFromQuery(pool: XapiPool, value: string | null): string {
  if (value === null) throw new XapiFailure('HANDLE_INVALID', ['VDI', 'OpaqueRef:NULL']);
  if (pool.db.has('VDI', value)) return value;
  if (value.startsWith('OpaqueRef:')) throw new XapiFailure('HANDLE_INVALID', ['VDI', value]);
  return pool.db.refByUuid('VDI', value);
}

function uuidBytes(uuid: string): Buffer {
  return Buffer.from(uuid.replace(/-/g, ''), 'hex');
}

async function* readRaw(disk: VirtualDisk): AsyncGenerator<Buffer> {
  const step = 4 * 1024 * 1024;
  for (let offset = 0; offset < disk.size; offset += step) yield await disk.read(offset, step);
}

/**
 * The 2 MiB blocks of a delta from `base` to `vdi`: the blocks written in
 * between when both belong to one history, else the blocks whose content differs.
 */
async function deltaBlocks(pool: XapiPool, vdiRef: string, baseRef: string): Promise<number[]> {
  const disk = pool.disks.get(vdiRef);
  const base = pool.disks.get(baseRef);
  if (base.chain === disk.chain && base.chainPoint <= disk.chainPoint) {
    return [...disk.chain.changedBlocks(base.chainPoint, disk.chainPoint, VHD_BLOCK_SIZE)];
  }
  const blocks: number[] = [];
  for (let b = 0; b * VHD_BLOCK_SIZE < disk.size; b++) {
    const [x, y] = await Promise.all([
      disk.read(b * VHD_BLOCK_SIZE, VHD_BLOCK_SIZE),
      base.read(b * VHD_BLOCK_SIZE, VHD_BLOCK_SIZE),
    ]);
    if (!x.equals(y)) blocks.push(b);
  }
  return blocks;
}

/**
 * GET `/export_raw_vdi?vdi=[&format=raw|vhd][&base=]`: a disk's content, raw
 * (with a Content-Length) or as a VHD; with `base`, a differencing VHD holding
 * only the blocks changed since `base`. `format=tar` and unknown formats answer 404.
 */
export async function handleExportRawVdi(
  pool: XapiPool,
  host: SimulatedHost,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const transfer = beginTransfer(pool, host, req, res, '/export_raw_vdi', 'VDI export');
  if (transfer === undefined) return;
  const { url } = transfer;
  const format = url.searchParams.get('format') ?? 'raw';
  if (format !== 'raw' && format !== 'vhd') {
    refuseTransfer(transfer, new XapiFailure('INTERNAL_ERROR', [`unsupported format ${format}`]), 404);
    return;
  }
  let vdiRef: string;
  let baseRef: string | undefined;
  let disk: VirtualDisk;
  try {
    vdiRef = vdiFromQuery(pool, url.searchParams.get('vdi'));
    const found = pool.disks.find(vdiRef);
    if (found === undefined) throw new XapiFailure('VDI_INCOMPATIBLE_TYPE', [vdiRef, 'cbt_metadata']);
    disk = found;
    const base = url.searchParams.get('base');
    if (base !== null && base !== '') {
      baseRef = vdiFromQuery(pool, base);
      if (pool.disks.find(baseRef) === undefined)
        throw new XapiFailure('VDI_INCOMPATIBLE_TYPE', [baseRef, 'cbt_metadata']);
    }
  } catch (error) {
    refuseTransfer(transfer, error as XapiFailure, 404);
    return;
  }
  const owner = hostServingVdi(pool, vdiRef);
  if (owner !== undefined && owner.ref !== host.ref) {
    redirectTo(transfer, owner);
    return;
  }
  res.useChunkedEncodingByDefault = false;
  if (format === 'raw') {
    // `base` only shapes VHD deltas; a raw export is always the whole disk.
    res.writeHead(200, transferHeaders(transfer, { 'content-length': String(disk.size) }));
    await sendBody(transfer, readRaw(disk), { expectedBytes: disk.size });
    return;
  }
  const vdi = pool.db.get('VDI', vdiRef);
  let blocks: number[];
  let parent: { uuid: Buffer; name: string } | undefined;
  if (baseRef === undefined) {
    blocks = [];
    disk.allocated.forEach((a, i) => a === 1 && blocks.push(i));
  } else {
    blocks = await deltaBlocks(pool, vdiRef, baseRef);
    const baseUuid = pool.db.get('VDI', baseRef)['uuid'] as string;
    parent = { uuid: uuidBytes(baseUuid), name: `${baseUuid}.vhd` };
  }
  res.writeHead(200, transferHeaders(transfer));
  const body = writeVhd(disk, blocks, { uuid: uuidBytes(vdi['uuid'] as string), ...(parent ? { parent } : {}) });
  await sendBody(transfer, body, { expectedBytes: blocks.length * VHD_BLOCK_SIZE });
}
