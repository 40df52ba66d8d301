import { type ErrorCode, type ErrorContext, TapirError } from '@tapir/sdk';

/** An error as the xen-api client raises it: XAPI's code and parameters, or a Node network error. */
interface RawXapiError {
  code?: unknown;
  params?: unknown;
  message?: unknown;
  cause?: unknown;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
]);

/** Node's codes for a TLS certificate it does not trust (OpenSSL's verify errors and the host name check). */
const CERTIFICATE_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** XAPI's error code of `error` (`VDI_IO_ERROR`, …), or a Node network code, or undefined. */
export function xapiCode(error: unknown): string | undefined {
  if (error instanceof TapirError)
    return typeof error.context.pluginCode === 'string' ? error.context.pluginCode : xapiCode(error.cause);
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current !== null && typeof current === 'object'; depth++) {
    const code = (current as RawXapiError).code;
    if (typeof code === 'string') return code;
    current = (current as RawXapiError).cause;
  }
  return undefined;
}

/** XAPI's error parameters of `error`, as strings. */
export function xapiParams(error: unknown): string[] {
  const params = (error as RawXapiError | null)?.params;
  return Array.isArray(params) ? params.map(String) : [];
}

/** A URL without credentials, safe to put in messages and logs. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.origin;
  } catch {
    return '<invalid url>';
  }
}

/**
 * Turns whatever the xen-api client threw into a {@link TapirError} whose message says what happened in the
 * operator's terms. `code` is the tapir code for "this side cannot be used" (source or restore target).
 */
export function translateXapiError(error: unknown, what: string, code: ErrorCode, context: ErrorContext): TapirError {
  if (error instanceof TapirError) return error;
  const xcode = xapiCode(error);
  const params = xapiParams(error);
  const url = typeof context.url === 'string' ? context.url : 'the pool';
  const ctx: ErrorContext = { ...context, ...(xcode ? { pluginCode: xcode } : {}) };
  const detail = (error as RawXapiError | null)?.message;
  let message: string;
  switch (xcode) {
    case 'SESSION_AUTHENTICATION_FAILED':
      message = `XAPI at ${url} refused the login of user ${params[0] ?? '?'}: wrong user name or password`;
      break;
    case 'HOST_IS_SLAVE':
      message = `${url} is not the pool master and the master it names (${params[0] ?? '?'}) did not accept the login either; point url at the current master`;
      break;
    case 'MESSAGE_REMOVED':
      message = `${what}: this XenServer version no longer implements the call (MESSAGE_REMOVED)`;
      break;
    case 'VDI_IO_ERROR':
      message =
        `${what}: the host reported a disk I/O error during the transfer (VDI_IO_ERROR ${params.join(' ')})`.trim();
      break;
    case 'SESSION_INVALID':
      message = `${what}: the XAPI session was invalidated and could not be renewed`;
      break;
    case 'HANDLE_INVALID':
      message = `${what}: the ${params[0] ?? 'object'} ${params[1] ?? ''} no longer exists on the pool (HANDLE_INVALID)`;
      break;
    case 'VM_BAD_POWER_STATE':
      message = `${what}: the VM is ${params[2] ?? '?'} but must be ${params[1] ?? '?'} (VM_BAD_POWER_STATE)`;
      break;
    default:
      if (xcode && CERTIFICATE_CODES.has(xcode)) {
        message =
          `${url} presented a TLS certificate tapir does not trust (${xcode}${typeof detail === 'string' && detail !== xcode ? `: ${detail}` : ''}); ` +
          'XenServer makes a self-signed one: install its CA for Node (NODE_EXTRA_CA_CERTS) or set allowUnauthorized: true';
      } else if (xcode && NETWORK_CODES.has(xcode)) {
        message = `cannot reach XAPI at ${url}: ${xcode}${xcode === 'ECONNREFUSED' ? ' (connection refused: is the host up and is url right?)' : ''}`;
      } else if (xcode) {
        message = `${what}: XAPI answered ${xcode}${params.length ? ` [${params.join(', ')}]` : ''}`;
      } else {
        message = `${what}: ${typeof detail === 'string' ? detail : String(error)}`;
      }
  }
  return new TapirError(code, message, ctx, { cause: sanitized(error, xcode, params) });
}

/**
 * A copy of the client's error without its attachments: xen-api hangs the task record on its errors, and through it
 * the whole client, credentials included, which a logger or test reporter would print.
 */
function sanitized(error: unknown, code: string | undefined, params: string[]): Error {
  const message = code ? `${code}(${params.join(', ')})` : error instanceof Error ? error.message : String(error);
  return Object.assign(new Error(message), code ? { code, params } : {});
}
