import { type HttpBody, socketGet, type SocketGetOptions } from './socketGet.js';

/** How {@link httpGet} connects: as {@link socketGet} does, following redirections. */
export interface HttpGetOptions extends SocketGetOptions {
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
 * sends it, over a connection whose reads land in 1 MiB buffers ({@link socketGet}; TLS for `https:`).
 *
 * @remarks
 * Not through xen-api's `getResource` (undici 6): XAPI ends an export by closing the connection, and undici 6.29
 * asserts, uncatchably, when that close arrives while the body is paused by backpressure (nodejs/undici#5360) —
 * which is the normal state of a body tapir reads slower than the host sends it.
 */
export async function httpGet(url: URL, options: HttpGetOptions): Promise<HttpBody> {
  let at = url;
  for (let redirects = 0; ; redirects++) {
    const { head, body } = await socketGet(at, options);
    const status = head.statusCode;
    if (status >= 200 && status < 300) return body;
    body.destroy();
    const location = head.headers.get('location');
    if (status === 302 && location !== undefined && redirects < (options.maxRedirects ?? 3)) {
      at = new URL(location, at);
      continue;
    }
    throw new HttpStatusError(status, `${at.origin}${at.pathname}`);
  }
}
