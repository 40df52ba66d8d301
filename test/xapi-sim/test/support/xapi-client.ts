// A minimal XenAPI client written from the protocol description (not from any
// particular client library), used to drive the simulator in tests.
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { promisify } from 'node:util';
import { encodeXmlRpcValue, parseXmlRpcResponse, type XapiValue } from '../../src/index.js';

export const exec = promisify(execFile);

/** A decoded wire value; tests assert its shape themselves. */

export type Json = any;

/** An API error as a client sees it. */
export class RpcError extends Error {
  constructor(
    readonly code: string,
    readonly params: string[],
  ) {
    super(`${code}(${params.join(', ')})`);
  }
}

/** Raw JSON-RPC POST; returns HTTP status, content type and parsed body. */
export async function postJson(
  baseUrl: string,
  method: string,
  params: unknown[],
): Promise<{ status: number; contentType: string | null; body: Json }> {
  const res = await fetch(`${baseUrl}/jsonrpc`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 0, method, params }),
  });
  return { status: res.status, contentType: res.headers.get('content-type'), body: await res.json() };
}

/** A JSON-RPC call that throws {@link RpcError} for API errors. */
export async function call(baseUrl: string, method: string, ...params: unknown[]): Promise<Json> {
  const { body } = await postJson(baseUrl, method, params);
  if (body.error !== undefined) throw new RpcError(body.error.message, body.error.data ?? []);
  return body.result;
}

/** An XML-RPC call; returns the decoded struct (`Status`, `Value` / `ErrorDescription`) and the content type. */
export async function callXml(
  baseUrl: string,
  method: string,
  ...params: XapiValue[]
): Promise<{ contentType: string | null; reply: Json; text: string }> {
  const body = `<?xml version="1.0"?><methodCall><methodName>${method}</methodName><params>${params
    .map((p) => `<param>${encodeXmlRpcValue(p)}</param>`)
    .join('')}</params></methodCall>`;
  const res = await fetch(`${baseUrl}/`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body });
  const text = await res.text();
  return { contentType: res.headers.get('content-type'), reply: parseXmlRpcResponse(text), text };
}

/** Logs in and returns the session reference. */
export function login(baseUrl: string, password: string, user = 'root'): Promise<string> {
  return call(baseUrl, 'session.login_with_password', user, password, '2.21', 'tapir-test');
}

/** Polls a task until it leaves `pending`; returns its record. */
export async function waitTask(baseUrl: string, session: string, task: string, timeoutMs = 30_000): Promise<Json> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const record = await call(baseUrl, 'task.get_record', session, task);
    if (record.status !== 'pending' && record.status !== 'cancelling') return record;
    if (Date.now() > deadline) throw new Error(`task ${task} still pending`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** An HTTP response read to its end (or to the connection's end). */
export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** Set when the connection broke (e.g. ECONNRESET) before the body ended. */
  error?: NodeJS.ErrnoException;
}

/** GET with Node's http client; a broken connection is reported, not thrown. */
export function httpGet(url: string): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    let result: HttpResult | undefined;
    let error: NodeJS.ErrnoException | undefined;
    const req = request(url, { method: 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      result = { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.alloc(0) };
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (e) => (error ??= e));
      res.on('close', () => (result!.body = Buffer.concat(chunks)));
    });
    // A reset after a close-delimited body surfaces only on the request (ECONNRESET).
    req.on('error', (e) => (error ??= e));
    req.on('close', () =>
      setImmediate(() => {
        if (result === undefined) reject(error ?? new Error('no response'));
        else resolve(error === undefined ? result : { ...result, error });
      }),
    );
    req.end();
  });
}

/** PUT a body with a Content-Length (or chunked when `chunked`), returning status and body. */
export function httpPut(
  url: string,
  body: Buffer,
  options: { chunked?: boolean; contentLength?: number } = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = options.chunked
      ? { 'transfer-encoding': 'chunked' }
      : { 'content-length': String(options.contentLength ?? body.length) };
    const req = request(url, { method: 'PUT', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
        // With an oversized Content-Length (xen-api's 1 PiB) the client just drops the connection.
        if (options.contentLength !== undefined) req.destroy();
      });
      res.on('error', (error) =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), error }),
      );
    });
    req.on('error', (error: NodeJS.ErrnoException) =>
      error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error),
    );
    req.write(body);
    if (options.contentLength === undefined) req.end();
  });
}

/** Parses the XML-RPC-serialized string XAPI stores in `task.result`. */
export function taskResult(result: string): XapiValue {
  return result === ''
    ? ''
    : parseXmlRpcResponse(`<methodResponse><params><param>${result}</param></params></methodResponse>`);
}
