import { protocolError } from './pdu.js';

/** Operational parameters in force for a session, after negotiation (RFC 7143 §13). */
export interface SessionParameters {
  /** The largest data segment tapir may send (the target's declared MaxRecvDataSegmentLength). */
  readonly sendDataSegmentLength: number;
  /** The largest data segment the target may send (what tapir declared). */
  readonly receiveDataSegmentLength: number;
  readonly maxBurstLength: number;
  readonly firstBurstLength: number;
  readonly initialR2T: boolean;
  readonly immediateData: boolean;
  readonly maxOutstandingR2T: number;
  readonly errorRecoveryLevel: number;
  readonly targetPortalGroupTag: number | undefined;
}

/** What tapir offers at login; every field has a sensible default. */
export interface OperationalOffer {
  /** Data segment size tapir accepts from the target (Data-In); larger means fewer PDUs on reads. */
  readonly maxRecvDataSegmentLength?: number;
  readonly maxBurstLength?: number;
  readonly firstBurstLength?: number;
  readonly initialR2T?: boolean;
  readonly immediateData?: boolean;
}

/** RFC 7143 defaults, used for any key the target does not answer. */
const DEFAULTS = {
  MaxRecvDataSegmentLength: 8192,
  MaxBurstLength: 262144,
  FirstBurstLength: 65536,
  InitialR2T: true,
  ImmediateData: true,
  MaxOutstandingR2T: 1,
  ErrorRecoveryLevel: 0,
};

/** The keys tapir proposes in the operational stage. */
export function operationalKeys(offer: OperationalOffer): Array<[string, string]> {
  return [
    ['HeaderDigest', 'None'],
    ['DataDigest', 'None'],
    ['MaxRecvDataSegmentLength', String(offer.maxRecvDataSegmentLength ?? 262144)],
    ['InitialR2T', offer.initialR2T === true ? 'Yes' : 'No'],
    ['ImmediateData', offer.immediateData === false ? 'No' : 'Yes'],
    ['MaxBurstLength', String(offer.maxBurstLength ?? 16776192)],
    ['FirstBurstLength', String(offer.firstBurstLength ?? 262144)],
    ['MaxOutstandingR2T', '1'],
    ['MaxConnections', '1'],
    ['DataPDUInOrder', 'Yes'],
    ['DataSequenceInOrder', 'Yes'],
    ['ErrorRecoveryLevel', '0'],
    ['DefaultTime2Wait', '0'],
    ['DefaultTime2Retain', '0'],
  ];
}

function num(key: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === 'Irrelevant' || value === 'NotUnderstood' || value === 'Reject') return fallback;
  if (!/^\d+$/.test(value)) throw protocolError(`key ${key} has a non-numeric value ${JSON.stringify(value)}`);
  return Number(value);
}

function bool(key: string, value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === 'Irrelevant' || value === 'NotUnderstood' || value === 'Reject') return fallback;
  if (value !== 'Yes' && value !== 'No')
    throw protocolError(`key ${key} has a non-boolean value ${JSON.stringify(value)}`);
  return value === 'Yes';
}

/**
 * Combines tapir's offer with every key the target sent during login into the parameters in force.
 *
 * @remarks
 * Applies §13's result functions defensively: minimums for burst lengths, OR for InitialR2T, AND for ImmediateData,
 * whatever the target claims, so a target that answers out of range cannot make tapir exceed its own offer.
 * A target that never declares MaxRecvDataSegmentLength (tgt) gets the 8192-byte default.
 */
export function resolveParameters(offer: OperationalOffer, answered: ReadonlyMap<string, string>): SessionParameters {
  const mine = new Map(operationalKeys(offer));
  const ours = (k: string): string => mine.get(k)!;
  const digest = answered.get('HeaderDigest') ?? 'None';
  const dataDigest = answered.get('DataDigest') ?? 'None';
  if (digest !== 'None' || dataDigest !== 'None')
    throw protocolError(`target chose digests ${digest}/${dataDigest}; only None is offered`);
  const maxBurst = Math.min(
    Number(ours('MaxBurstLength')),
    num('MaxBurstLength', answered.get('MaxBurstLength'), DEFAULTS.MaxBurstLength),
  );
  const firstBurst = Math.min(
    maxBurst,
    Number(ours('FirstBurstLength')),
    num('FirstBurstLength', answered.get('FirstBurstLength'), DEFAULTS.FirstBurstLength),
  );
  const sendSeg = num(
    'MaxRecvDataSegmentLength',
    answered.get('MaxRecvDataSegmentLength'),
    DEFAULTS.MaxRecvDataSegmentLength,
  );
  if (sendSeg < 512) throw protocolError(`target declared MaxRecvDataSegmentLength=${sendSeg}, below the minimum 512`);
  const tpgt = answered.get('TargetPortalGroupTag');
  return {
    sendDataSegmentLength: Math.min(sendSeg, 16777215),
    receiveDataSegmentLength: Number(ours('MaxRecvDataSegmentLength')),
    maxBurstLength: maxBurst,
    firstBurstLength: firstBurst,
    initialR2T: ours('InitialR2T') === 'Yes' || bool('InitialR2T', answered.get('InitialR2T'), DEFAULTS.InitialR2T),
    immediateData:
      ours('ImmediateData') === 'Yes' && bool('ImmediateData', answered.get('ImmediateData'), DEFAULTS.ImmediateData),
    maxOutstandingR2T: Math.max(
      1,
      Math.min(1, num('MaxOutstandingR2T', answered.get('MaxOutstandingR2T'), DEFAULTS.MaxOutstandingR2T)),
    ),
    errorRecoveryLevel: Math.min(
      0,
      num('ErrorRecoveryLevel', answered.get('ErrorRecoveryLevel'), DEFAULTS.ErrorRecoveryLevel),
    ),
    targetPortalGroupTag: tpgt === undefined ? undefined : num('TargetPortalGroupTag', tpgt, 0),
  };
}
