import { asFailure, type RpcDispatcher } from './rpc-dispatcher.js';
import { encodeXmlRpcResponse, parseXmlRpcCall } from './xml-rpc-codec.js';

/** Content type of XAPI's XML-RPC replies. */
export const XML_RPC_CONTENT_TYPE = 'text/xml';

/**
 * Answers one XML-RPC `methodCall` (POST `/` or `/xmlrpc`). XAPI never uses
 * `<fault>`: every reply is a struct with `Status` `Success` + `Value` or
 * `Failure` + `ErrorDescription: [code, ...params]`.
 */
export async function answerXmlRpc(dispatcher: RpcDispatcher, hostRef: string, body: string): Promise<string> {
  try {
    const call = parseXmlRpcCall(body);
    const value = await dispatcher.call(hostRef, call.method, call.params);
    return encodeXmlRpcResponse({ Status: 'Success', Value: value });
  } catch (error) {
    const failure =
      error instanceof SyntaxError ? asFailure(new Error(`XML-RPC parse error: ${error.message}`)) : asFailure(error);
    return encodeXmlRpcResponse({ Status: 'Failure', ErrorDescription: failure.description });
  }
}
