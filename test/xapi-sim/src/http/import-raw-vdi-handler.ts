import type { IncomingMessage, ServerResponse } from 'node:http';
import { completeTask } from '../api/task.js';
import { refreshUtilisation } from '../api/vdi.js';
import { ByteReader } from '../format/byte-reader.js';
import { openVhdStream, presentSectorRuns } from '../format/vhd-reader.js';
import { XapiFailure } from '../model/xapi-failure.js';
import type { SimulatedHost, XapiPool } from '../model/xapi-pool.js';
import { asFailure } from '../rpc/rpc-dispatcher.js';
import type { VirtualDisk } from '../storage/virtual-disk.js';
import { vdiFromQuery } from './export-raw-vdi-handler.js';
import { refuseChunked } from './import-handler.js';
import { receiveBody } from './receive-body.js';
import { beginTransfer, refuseTransfer, transferHeaders } from './transfer-request.js';

async function writeRaw(disk: VirtualDisk, reader: ByteReader): Promise<void> {
  const step = 4 * 1024 * 1024;
  for (let offset = 0; offset < disk.size;) {
    const piece = await reader.read(Math.min(step, disk.size - offset));
    if (piece.length === 0) return;
    await disk.write(offset, piece);
    offset += piece.length;
  }
}

/** Writes the sectors a VHD carries; blocks it leaves out keep their current content (a delta applies over the VDI). */
async function writeVhd(disk: VirtualDisk, reader: ByteReader): Promise<void> {
  const vhd = await openVhdStream(reader);
  if (vhd.footer.currentSize > disk.size) {
    throw new XapiFailure('VDI_TOO_SMALL', ['', String(disk.size), String(vhd.footer.currentSize)]);
  }
  const sectors = vhd.header.blockSize / 512;
  for await (const block of vhd.blocks()) {
    const base = block.index * vhd.header.blockSize;
    for (const [first, count] of presentSectorRuns(block.bitmap, sectors)) {
      const offset = base + first * 512;
      if (offset >= disk.size) break;
      const end = Math.min(disk.size, offset + count * 512);
      await disk.write(offset, block.data.subarray(first * 512, first * 512 + (end - offset)));
    }
  }
}

/**
 * PUT `/import_raw_vdi?vdi=[&format=raw|vhd]`: writes into an existing VDI.
 * Raw fills it from offset 0; a VHD writes only its allocated blocks, so a
 * differencing VHD applies as a delta. The import ends when the format says
 * so (disk size reached, last VHD block read). Task result: the VDI reference.
 */
export async function handleImportRawVdi(
  pool: XapiPool,
  host: SimulatedHost,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (refuseChunked(req, res)) return;
  const transfer = beginTransfer(pool, host, req, res, '/import_raw_vdi', 'VDI import');
  if (transfer === undefined) return;
  const format = transfer.url.searchParams.get('format') ?? 'raw';
  let vdiRef: string;
  let disk: VirtualDisk;
  try {
    if (format !== 'raw' && format !== 'vhd') throw new XapiFailure('INTERNAL_ERROR', [`unsupported format ${format}`]);
    vdiRef = vdiFromQuery(pool, transfer.url.searchParams.get('vdi'));
    const vbds = pool.db.get('VDI', vdiRef)['VBDs'] as string[];
    if (vbds.some((vbd) => pool.db.find('VBD', vbd)?.['currently_attached'] === true)) {
      throw new XapiFailure('VDI_IN_USE', [vdiRef, 'import']);
    }
    disk = pool.disks.get(vdiRef);
  } catch (error) {
    refuseTransfer(transfer, asFailure(error), 404);
    req.resume();
    return;
  }
  res.writeHead(200, transferHeaders(transfer));
  res.flushHeaders();
  const reader = new ByteReader(receiveBody(req, transfer.fault));
  try {
    if (format === 'raw') await writeRaw(disk, reader);
    else await writeVhd(disk, reader);
    refreshUtilisation(pool, vdiRef);
    completeTask(pool, transfer.taskRef, vdiRef);
    res.end();
  } catch (error) {
    refuseTransfer(transfer, asFailure(error));
  } finally {
    await reader.close().catch(() => undefined);
  }
}
