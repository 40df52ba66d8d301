import { TapirError } from '@tapir/sdk';
import type { IscsiConnection } from './iscsi-connection.js';
import { operationalKeys, resolveParameters, type OperationalOffer, type SessionParameters } from './negotiation.js';
import { encodeLoginRequest, protocolError, type TargetPdu } from './pdu.js';
import { decodeTextKeys, encodeTextKeys } from './text-keys.js';

/** What a login needs to know. */
export interface LoginRequest {
  readonly initiatorName: string;
  /** Omit for a discovery session. */
  readonly targetName?: string;
  /** 6-byte initiator session id; reuse it to reinstate a session after a dropped connection. */
  readonly isid: Buffer;
  readonly offer: OperationalOffer;
  readonly timeoutMs: number;
}

/** The outcome of a successful login. */
export interface LoginResult {
  readonly tsih: number;
  readonly parameters: SessionParameters;
  /** CmdSN for the first command (login is immediate, so it reuses the login's CmdSN). */
  readonly cmdSN: number;
  readonly expStatSN: number;
  readonly expCmdSN: number;
  readonly maxCmdSN: number;
}

const STAGE_SECURITY = 0;
const STAGE_OPERATIONAL = 1;
const STAGE_FULL_FEATURE = 3;

/**
 * Logs in on a fresh connection: security stage (AuthMethod=None), operational negotiation, full feature phase.
 *
 * @remarks
 * Starting in the security stage with TSIH 0 and a known ISID makes the target reinstate (close) an older session with
 * the same ISID; tgt only does so when the login passes through that stage. Rejects with `TAPIR_E_ISCSI_LOGIN`
 * (status class and detail in the context), `TAPIR_E_DEVICE_TIMEOUT` or `TAPIR_E_ISCSI_PROTOCOL`.
 */
export async function login(conn: IscsiConnection, req: LoginRequest): Promise<LoginResult> {
  const queue: TargetPdu[] = [];
  let wake: (() => void) | undefined;
  conn.onPdu = (pdu) => {
    queue.push(pdu);
    wake?.();
  };
  let failure: TapirError | undefined;
  conn.onClose = (reason) => {
    failure = reason;
    wake?.();
  };
  const deadline = Date.now() + req.timeoutMs;
  const next = async (): Promise<TargetPdu> => {
    for (;;) {
      const pdu = queue.shift();
      if (pdu) return pdu;
      if (failure) throw failure;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new TapirError(
          'TAPIR_E_DEVICE_TIMEOUT',
          `iSCSI login to ${conn.portal} did not finish within ${req.timeoutMs} ms`,
          { device: conn.portal },
        );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        wake = () => {
          clearTimeout(timer);
          wake = undefined;
          resolve();
        };
      });
    }
  };

  const itt = 0;
  const cmdSN = 1;
  let expStatSN = 0;
  let tsih = 0;
  const answered = new Map<string, string>();
  const discovery = req.targetName === undefined;
  let stage = STAGE_SECURITY;
  let pendingKeys: Array<[string, string]> = [
    ['InitiatorName', req.initiatorName],
    ['SessionType', discovery ? 'Discovery' : 'Normal'],
    ...(discovery ? [] : ([['TargetName', req.targetName]] as Array<[string, string]>)),
    ['AuthMethod', 'None'],
  ];
  let offeredOperational = false;
  for (let round = 0; round < 16; round++) {
    const nsg = stage === STAGE_SECURITY ? STAGE_OPERATIONAL : STAGE_FULL_FEATURE;
    if (stage === STAGE_OPERATIONAL && !offeredOperational) {
      pendingKeys = [
        ...pendingKeys,
        ...(discovery
          ? operationalKeys(req.offer).filter(([k]) => /Digest|MaxRecv/.test(k))
          : operationalKeys(req.offer)),
      ];
      offeredOperational = true;
    }
    const data = encodeTextKeys(pendingKeys);
    pendingKeys = [];
    conn.send(
      encodeLoginRequest({ transit: true, csg: stage, nsg, isid: req.isid, tsih, itt, cid: 0, cmdSN, expStatSN, data }),
      data,
    );
    const pdu = await next();
    if (pdu.kind !== 'login-response')
      throw protocolError(`expected a Login Response, got ${pdu.kind}`, { device: conn.portal });
    if (pdu.statusClass !== 0) {
      throw new TapirError(
        'TAPIR_E_ISCSI_LOGIN',
        `iSCSI login to ${conn.portal} refused: ${loginStatusText(pdu.statusClass, pdu.statusDetail)}`,
        {
          device: conn.portal,
          statusClass: pdu.statusClass,
          statusDetail: pdu.statusDetail,
          target: req.targetName,
        },
      );
    }
    if (pdu.continue)
      throw protocolError('login responses split over several PDUs are not supported', { device: conn.portal });
    expStatSN = (pdu.statSN + 1) >>> 0;
    tsih = pdu.tsih;
    for (const [k, v] of decodeTextKeys(pdu.data)) {
      answered.set(k, v);
      // Keys the target proposes on its own must be answered before it can move on.
      if (stage === STAGE_OPERATIONAL && !offeredKey(req.offer, k) && isNegotiable(k)) pendingKeys.push([k, v]);
    }
    if (stage === STAGE_SECURITY && answered.get('AuthMethod') !== undefined && answered.get('AuthMethod') !== 'None')
      throw new TapirError(
        'TAPIR_E_ISCSI_LOGIN',
        `target ${req.targetName ?? conn.portal} requires authentication (${answered.get('AuthMethod')})`,
        { device: conn.portal },
      );
    if (pdu.csg !== stage)
      throw protocolError(`login response is for stage ${pdu.csg}, request was for stage ${stage}`, {
        device: conn.portal,
      });
    if (pdu.transit) {
      if (pdu.nsg === STAGE_FULL_FEATURE) {
        return {
          tsih,
          parameters: resolveParameters(req.offer, answered),
          cmdSN,
          expStatSN,
          expCmdSN: pdu.expCmdSN,
          maxCmdSN: pdu.maxCmdSN,
        };
      }
      if (pdu.nsg !== STAGE_OPERATIONAL)
        throw protocolError(`target moved to login stage ${pdu.nsg}`, { device: conn.portal });
      stage = STAGE_OPERATIONAL;
    }
  }
  throw protocolError('login did not reach the full feature phase in 16 exchanges', { device: conn.portal });
}

function offeredKey(offer: OperationalOffer, key: string): boolean {
  return operationalKeys(offer).some(([k]) => k === key);
}

function isNegotiable(key: string): boolean {
  return !['TargetPortalGroupTag', 'TargetAlias', 'TargetAddress', 'MaxRecvDataSegmentLength'].includes(key);
}

/** Login status class/detail in words (RFC 7143 §11.13.5). */
export function loginStatusText(statusClass: number, detail: number): string {
  const texts: Record<string, string> = {
    '0101': 'target moved temporarily',
    '0102': 'target moved permanently',
    '0200': 'initiator error',
    '0201': 'authentication failure',
    '0202': 'authorization failure',
    '0203': 'target not found',
    '0204': 'target removed',
    '0205': 'unsupported version',
    '0206': 'too many connections',
    '0207': 'missing parameter',
    '0208': "can't include in session",
    '0209': 'session type not supported',
    '020a': 'session does not exist',
    '020b': 'invalid during login',
    '0300': 'target error',
    '0301': 'service unavailable',
    '0302': 'out of resources',
  };
  const key = statusClass.toString(16).padStart(2, '0') + detail.toString(16).padStart(2, '0');
  return `${texts[key] ?? 'status'} (class ${statusClass}, detail ${detail})`;
}
