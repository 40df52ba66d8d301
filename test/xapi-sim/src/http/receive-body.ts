import type { IncomingMessage } from 'node:http';
import { XapiFailure } from '../model/xapi-failure.js';
import { DEVICE_IO_ERROR } from './send-body.js';
import type { BodyFault } from './transfer-request.js';

/**
 * A request body as a stream of buffers, with the transfer's fault applied:
 * `vdi-io-error` stops the import with `VDI_IO_ERROR` after `afterBytes`,
 * `premature-close` resets the connection there.
 */
export async function* receiveBody(req: IncomingMessage, fault: BodyFault | undefined): AsyncGenerator<Buffer> {
  let received = 0;
  const limit = fault !== undefined && 'afterBytes' in fault ? fault.afterBytes : undefined;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      if (limit !== undefined && received + chunk.length >= limit) {
        const head = chunk.subarray(0, Math.max(0, limit - received));
        if (head.length > 0) yield head;
        if (fault!.kind === 'premature-close') {
          req.socket.resetAndDestroy();
          throw new XapiFailure('INTERNAL_ERROR', ['connection reset']);
        }
        if (fault!.kind === 'vdi-io-error') throw DEVICE_IO_ERROR;
      }
      received += chunk.length;
      yield chunk;
    }
  } catch (error) {
    if (error instanceof XapiFailure) throw error;
    throw new XapiFailure('CLIENT_ERROR', [`the request body ended early: ${(error as Error).message}`]);
  }
}
