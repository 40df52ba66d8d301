import type { IncomingMessage, ServerResponse } from 'node:http';
import { completeTask } from '../api/task.js';
import { ByteReader } from '../format/byte-reader.js';
import { NULL_REF } from '../model/opaque-ref.js';
import { XapiFailure } from '../model/xapi-failure.js';
import type { SimulatedHost, XapiPool } from '../model/xapi-pool.js';
import { asFailure } from '../rpc/rpc-dispatcher.js';
import { decompressByMagic } from './compression.js';
import { receiveBody } from './receive-body.js';
import { beginTransfer, refuseTransfer, transferHeaders } from './transfer-request.js';
import { importXva } from './xva-import.js';

/** XAPI refuses chunked uploads; clients must send a Content-Length (xen-api sends 1 PiB when unknown). */
export function refuseChunked(req: IncomingMessage, res: ServerResponse): boolean {
  if (!/chunked/i.test(req.headers['transfer-encoding'] ?? '')) return false;
  res.writeHead(403, { connection: 'close', 'content-type': 'text/plain' });
  res.end('Chunked transfer encoding is not supported\n');
  req.resume();
  return true;
}

/**
 * PUT `/import[?sr_id=][&restore=true][&force=true]`: an XVA (plain, gzip or
 * zstd). The 200 headers go out before the body is read, as XAPI does; the
 * import ends at the tar's end-of-archive, whatever Content-Length said. The
 * task's result is the array of new VM references.
 */
export async function handleImport(
  pool: XapiPool,
  host: SimulatedHost,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (refuseChunked(req, res)) return;
  const transfer = beginTransfer(pool, host, req, res, '/import', 'VM import');
  if (transfer === undefined) return;
  const { url } = transfer;
  let srRef = url.searchParams.get('sr_id') ?? (pool.db.get('pool', pool.poolRef)['default_SR'] as string);
  if (srRef === NULL_REF || !pool.db.has('SR', srRef)) {
    try {
      srRef = pool.db.refByUuid('SR', srRef);
    } catch {
      refuseTransfer(transfer, new XapiFailure('HANDLE_INVALID', ['SR', srRef]), 404);
      req.resume();
      return;
    }
  }
  res.writeHead(200, transferHeaders(transfer));
  res.flushHeaders();
  const reader = new ByteReader(decompressByMagic(receiveBody(req, transfer.fault)));
  try {
    const vmRef = await importXva(pool, reader, {
      srRef,
      restore: url.searchParams.get('restore') === 'true',
      force: url.searchParams.get('force') === 'true',
    });
    completeTask(pool, transfer.taskRef, [vmRef]);
    res.end();
  } catch (error) {
    refuseTransfer(transfer, asFailure(error));
  } finally {
    await reader.close().catch(() => undefined);
  }
}
