import type { XapiValue } from '../model/xapi-value.js';
import { asFailure, type RpcDispatcher } from './rpc-dispatcher.js';

/** XAPI answers JSON-RPC with exactly this type; xen-api falls back to XML-RPC on anything else. */
export const JSON_RPC_CONTENT_TYPE = 'application/json';

interface JsonRpcRequest {
  jsonrpc?: string;
  id?: XapiValue | null;
  method?: unknown;
  params?: unknown;
}

/**
 * Answers one JSON-RPC request body (POST `/jsonrpc`). API errors travel with
 * HTTP 200 as `{"error": {"code": 1, "message": CODE, "data": [params]}}`.
 */
export async function answerJsonRpc(dispatcher: RpcDispatcher, hostRef: string, body: string): Promise<string> {
  let request: JsonRpcRequest;
  try {
    request = JSON.parse(body) as JsonRpcRequest;
  } catch {
    return JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error', data: [] } });
  }
  const id = request.id ?? null;
  const v2 = request.jsonrpc === '2.0';
  if (typeof request.method !== 'string') {
    return JSON.stringify({ jsonrpc: '2.0', id, error: { code: -32600, message: 'Invalid Request', data: [] } });
  }
  const params = Array.isArray(request.params) ? (request.params as XapiValue[]) : [];
  try {
    const result = await dispatcher.call(hostRef, request.method, params);
    return JSON.stringify(v2 ? { jsonrpc: '2.0', id, result } : { result, error: null, id });
  } catch (error) {
    const failure = asFailure(error);
    const shape = { code: 1, message: failure.code, data: failure.params };
    return JSON.stringify(v2 ? { jsonrpc: '2.0', id, error: shape } : { result: null, error: shape, id });
  }
}
