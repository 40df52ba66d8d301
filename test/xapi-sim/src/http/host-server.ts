import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { SimulatedHost, XapiPool } from '../model/xapi-pool.js';
import { JSON_RPC_CONTENT_TYPE, answerJsonRpc } from '../rpc/json-rpc-endpoint.js';
import type { RpcDispatcher } from '../rpc/rpc-dispatcher.js';
import { XML_RPC_CONTENT_TYPE, answerXmlRpc } from '../rpc/xml-rpc-endpoint.js';
import { handleExport } from './export-handler.js';
import { handleExportRawVdi } from './export-raw-vdi-handler.js';
import { handleImport } from './import-handler.js';
import { handleImportRawVdi } from './import-raw-vdi-handler.js';

type DataHandler = (pool: XapiPool, host: SimulatedHost, req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** Data handlers by method and path; paths match by prefix, longest first (`/export/` works, `/export_raw_vdi` is not `/export`). */
const DATA_HANDLERS: [string, string, DataHandler][] = [
  ['GET', '/export_raw_vdi', handleExportRawVdi],
  ['GET', '/export', handleExport],
  ['PUT', '/import_raw_vdi', handleImportRawVdi],
  ['PUT', '/import', handleImport],
];

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/** A certificate and its key (PEM), for HTTPS as XenServer serves by default. */
export interface TlsIdentity {
  key: string | Buffer;
  cert: string | Buffer;
}

/**
 * One pool member's HTTP server (HTTPS with `tls`): JSON-RPC at POST `/jsonrpc`, XML-RPC at POST
 * `/` and `/xmlrpc`, and the data handlers.
 */
export function createHostServer(
  pool: XapiPool,
  host: SimulatedHost,
  dispatcher: RpcDispatcher,
  tls?: TlsIdentity,
): Server {
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    void route(pool, host, dispatcher, req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { connection: 'close', 'content-type': 'text/plain' });
      res.end(`${String(error)}\n`);
    });
  };
  const server: Server = tls ? createTlsServer({ key: tls.key, cert: tls.cert }, handler) : createServer(handler);
  // Long event.from polls and exports outlive Node's default timeouts.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = 5_000;
  return server;
}

async function route(
  pool: XapiPool,
  host: SimulatedHost,
  dispatcher: RpcDispatcher,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  if (req.method === 'POST' && path === '/jsonrpc') {
    const body = await answerJsonRpc(dispatcher, host.ref, await readText(req));
    res.writeHead(200, { 'content-type': JSON_RPC_CONTENT_TYPE, 'content-length': Buffer.byteLength(body) });
    res.end(body);
    return;
  }
  if (req.method === 'POST' && (path === '/' || path === '/xmlrpc' || path === '/RPC2')) {
    const body = await answerXmlRpc(dispatcher, host.ref, await readText(req));
    res.writeHead(200, { 'content-type': XML_RPC_CONTENT_TYPE, 'content-length': Buffer.byteLength(body) });
    res.end(body);
    return;
  }
  for (const [method, prefix, handler] of DATA_HANDLERS) {
    if (
      req.method === method &&
      path.startsWith(prefix) &&
      (path.length === prefix.length || path[prefix.length] === '/')
    ) {
      await handler(pool, host, req, res);
      return;
    }
  }
  res.writeHead(404, { connection: 'close', 'content-type': 'text/plain' });
  res.end('Not found\n');
  req.resume();
}
