import type { IncomingMessage, ServerResponse } from 'node:http';
import { createTask, failTask } from '../api/task.js';
import type { TransferHandler, XapiFault } from '../faults/xapi-fault.js';
import type { XapiFailure } from '../model/xapi-failure.js';
import type { Session, SimulatedHost, XapiPool } from '../model/xapi-pool.js';

/** Transfer faults that act on the body once the response has started. */
export type BodyFault = Extract<
  XapiFault,
  { kind: 'vdi-io-error' | 'premature-close' | 'http-in-body' | 'task-destroyed' }
>;

/** What every data handler needs: who asked, which task reports, which fault applies. */
export interface TransferRequest {
  pool: XapiPool;
  host: SimulatedHost;
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  session: Session;
  taskRef: string;
  fault: BodyFault | undefined;
}

function sessionFromRequest(pool: XapiPool, host: SimulatedHost, req: IncomingMessage, url: URL): Session | undefined {
  const fromQuery = url.searchParams.get('session_id');
  const fromCookie = /(?:^|;\s*)session_id=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
  const ref = fromQuery ?? (fromCookie === undefined ? undefined : decodeURIComponent(fromCookie));
  if (ref !== undefined) return pool.sessions.get(ref);
  const basic = /^Basic\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
  if (basic !== undefined) {
    const [user, ...rest] = Buffer.from(basic, 'base64').toString('utf8').split(':');
    if (user === pool.credentials.username && rest.join(':') === pool.credentials.password) {
      return pool.openSession(user, host.ref, 'http-basic');
    }
  }
  return undefined;
}

/** Answers 302 to the same path and full query on another pool member. */
export function redirectTo(transfer: Pick<TransferRequest, 'pool' | 'res' | 'url'>, host: SimulatedHost): void {
  const location = `${transfer.pool.urlOf(host)}${transfer.url.pathname}${transfer.url.search}`;
  transfer.res.writeHead(302, { location, connection: 'close', 'content-length': '0' });
  transfer.res.end();
}

/**
 * Authenticates a data request (`session_id` in the query, a cookie, or HTTP
 * Basic; else 401), binds it to its task (`task_id`, else a new one) and takes
 * the fault that applies. Answers the request itself and returns undefined
 * when the handler must not go on (401, injected redirect).
 */
export function beginTransfer(
  pool: XapiPool,
  host: SimulatedHost,
  req: IncomingMessage,
  res: ServerResponse,
  handler: TransferHandler,
  label: string,
): TransferRequest | undefined {
  const url = new URL(req.url ?? '/', `http://${host.address}`);
  const session = sessionFromRequest(pool, host, req, url);
  if (session === undefined) {
    res.writeHead(401, { connection: 'close', 'content-type': 'text/plain' });
    res.end('Unauthorised\n');
    return undefined;
  }
  const fault = pool.faults.takeTransferFault(handler);
  if (fault?.kind === 'redirect') {
    redirectTo({ pool, res, url }, pool.hostAt(fault.toHost));
    return undefined;
  }
  const given = url.searchParams.get('task_id');
  const taskRef = given !== null && pool.db.has('task', given) ? given : createTask(pool, label, '', host.ref);
  return { pool, host, req, res, url, session, taskRef, fault };
}

/** The headers XAPI puts on a data response. */
export function transferHeaders(transfer: TransferRequest, extra: Record<string, string> = {}): Record<string, string> {
  return { 'task-id': transfer.taskRef, connection: 'close', 'content-type': 'application/octet-stream', ...extra };
}

/** Fails the task and answers with an error status, if the response has not started. */
export function refuseTransfer(transfer: TransferRequest, failure: XapiFailure, status = 500): void {
  failTask(transfer.pool, transfer.taskRef, failure);
  if (!transfer.res.headersSent) {
    transfer.res.writeHead(status, { 'task-id': transfer.taskRef, connection: 'close', 'content-type': 'text/plain' });
  }
  transfer.res.end(`${failure.description.join(' ')}\n`);
}
