import type { IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { type HttpBody, socketGet } from './socketGet.js';

/** How {@link httpGet} connects. */
export interface HttpGetOptions {
  /** Accept self-signed certificates. */
  allowUnauthorized: boolean;
  /** Give up when nothing arrives for this long, in ms (XAPI keeps long exports alive with empty chunks). */
  inactivityMs: number;
  signal: AbortSignal;
  /** Redirections followed (XAPI answers 302 to the member that holds the data). @defaultValue 3 */
  maxRedirects?: number;
}

/** A non-2xx answer of a data handler. */
export class HttpStatusError extends Error {
  constructor(
    readonly statusCode: number,
    readonly url: string,
  ) {
    super(`unexpected HTTP ${statusCode} from ${url}`);
  }
}

/**
 * GETs a XAPI data handler and returns the body once the status is 2xx, following 302 with the full query as XAPI
 * sends it. `http:` goes over a socket that reads into 1 MiB buffers ({@link socketGet}); `https:` through Node's
 * HTTPS client.
 *
 * @remarks
 * Not through xen-api's `getResource` (undici 6): XAPI ends an export by closing the connection, and undici 6.29
 * asserts, uncatchably, when that close arrives while the body is paused by backpressure (nodejs/undici#5360) —
 * which is the normal state of a body tapir reads slower than the host sends it.
 */
export async function httpGet(url: URL, options: HttpGetOptions): Promise<HttpBody> {
  let at = url;
  for (let redirects = 0; ; redirects++) {
    const { status, location, body } =
      at.protocol === 'https:' ? await httpsGet(at, options) : await plainGet(at, options);
    if (status >= 200 && status < 300) return body;
    body.destroy();
    if (status === 302 && location !== undefined && redirects < (options.maxRedirects ?? 3)) {
      at = new URL(location, at);
      continue;
    }
    throw new HttpStatusError(status, `${at.origin}${at.pathname}`);
  }
}

interface Answer {
  status: number;
  location: string | undefined;
  body: HttpBody;
}

async function plainGet(url: URL, options: HttpGetOptions): Promise<Answer> {
  const { head, body } = await socketGet(url, options);
  return { status: head.statusCode, location: head.headers.get('location'), body };
}

async function httpsGet(url: URL, options: HttpGetOptions): Promise<Answer> {
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = httpsRequest(url, {
      method: 'GET',
      // One connection per transfer: XAPI closes it at the end anyway.
      agent: false,
      rejectUnauthorized: !options.allowUnauthorized,
      // XenServer 6.5 and older speak only TLS 1.0.
      minVersion: 'TLSv1',
      signal: options.signal,
      timeout: options.inactivityMs,
    });
    req.on('timeout', () =>
      req.destroy(
        Object.assign(new Error(`no data from ${url.origin} for ${options.inactivityMs / 1000} s`), {
          code: 'ETIMEDOUT',
        }),
      ),
    );
    req.once('response', resolve);
    req.once('error', reject);
    req.end();
  });
  return { status: response.statusCode ?? 0, location: response.headers.location, body: response };
}
