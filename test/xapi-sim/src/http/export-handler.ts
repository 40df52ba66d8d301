import type { IncomingMessage, ServerResponse } from 'node:http';
import { badPowerState, type PowerState } from '../api/vm-record.js';
import { writeXva } from '../format/xva-writer.js';
import { XapiFailure } from '../model/xapi-failure.js';
import type { SimulatedHost, XapiPool } from '../model/xapi-pool.js';
import { compress, parseCompression } from './compression.js';
import { hostServingVm } from './data-location.js';
import { sendBody } from './send-body.js';
import { beginTransfer, redirectTo, refuseTransfer, transferHeaders } from './transfer-request.js';
import { collectXvaContent } from './xva-objects.js';

function vmFromQuery(pool: XapiPool, url: URL): string {
  const ref = url.searchParams.get('ref');
  if (ref !== null) {
    if (!pool.db.has('VM', ref)) throw new XapiFailure('HANDLE_INVALID', ['VM', ref]);
    return ref;
  }
  const uuid = url.searchParams.get('uuid');
  if (uuid !== null) return pool.db.refByUuid('VM', uuid);
  throw new XapiFailure('HANDLE_INVALID', ['VM', 'OpaqueRef:NULL']);
}

/**
 * GET `/export?ref=|uuid=[&use_compression=true|gzip|zstd][&preserve_power_state=true]`:
 * the VM as an XVA. A running VM cannot be exported (snapshot it first); a VM
 * whose disks are on another host's local SR is redirected there with 302.
 */
export async function handleExport(
  pool: XapiPool,
  host: SimulatedHost,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const transfer = beginTransfer(pool, host, req, res, '/export', 'Export of VM');
  if (transfer === undefined) return;
  const { url } = transfer;
  let vmRef: string;
  try {
    vmRef = vmFromQuery(pool, url);
    const state = pool.db.get('VM', vmRef)['power_state'] as PowerState;
    if (state === 'Running' || state === 'Paused') throw badPowerState(vmRef, 'Halted', state);
  } catch (error) {
    refuseTransfer(transfer, error as XapiFailure, 404);
    return;
  }
  const owner = hostServingVm(pool, vmRef);
  if (owner !== undefined && owner.ref !== host.ref) {
    redirectTo(transfer, owner);
    return;
  }
  const preserve = url.searchParams.get('preserve_power_state') === 'true';
  const content = collectXvaContent(pool, vmRef, preserve);
  const expected = content.disks.reduce((n, d) => n + d.disk.size, 0);
  res.useChunkedEncodingByDefault = false; // XAPI ends exports by closing the connection
  res.writeHead(200, transferHeaders(transfer));
  const body = compress(
    writeXva(content.version, content.objects, content.disks),
    parseCompression(url.searchParams.get('use_compression')),
  );
  await sendBody(transfer, body, { expectedBytes: expected });
}
