import { TapirError } from '@tapir/sdk';
import { BHS_LENGTH, Opcode } from './opcode.js';

/** One iSCSI PDU: its 48-byte basic header segment and its data segment (unpadded). AHS are dropped on receipt. */
export interface Pdu {
  readonly bhs: Buffer;
  readonly data: Buffer;
}

/** Fields common to every PDU a target sends that carries sequence numbers. */
export interface TargetSequence {
  readonly statSN: number;
  readonly expCmdSN: number;
  readonly maxCmdSN: number;
}

/** A PDU from the target, decoded by opcode. */
export type TargetPdu =
  | ({ kind: 'nop-in'; itt: number; ttt: number; lun: Buffer; data: Buffer } & TargetSequence)
  | ({
      kind: 'scsi-response';
      itt: number;
      response: number;
      status: number;
      overflow: boolean;
      underflow: boolean;
      residual: number;
      data: Buffer;
    } & TargetSequence)
  | ({
      kind: 'data-in';
      itt: number;
      final: boolean;
      /** S bit: status is in this PDU. */
      hasStatus: boolean;
      status: number;
      overflow: boolean;
      underflow: boolean;
      residual: number;
      dataSN: number;
      offset: number;
      data: Buffer;
    } & TargetSequence)
  | ({ kind: 'r2t'; itt: number; ttt: number; r2tSN: number; offset: number; length: number } & TargetSequence)
  | ({
      kind: 'login-response';
      transit: boolean;
      continue: boolean;
      csg: number;
      nsg: number;
      isid: Buffer;
      tsih: number;
      itt: number;
      statusClass: number;
      statusDetail: number;
      data: Buffer;
    } & TargetSequence)
  | ({
      kind: 'text-response';
      final: boolean;
      continue: boolean;
      itt: number;
      ttt: number;
      data: Buffer;
    } & TargetSequence)
  | ({ kind: 'logout-response'; itt: number; response: number } & TargetSequence)
  | ({ kind: 'task-management-response'; itt: number; response: number } & TargetSequence)
  | ({
      kind: 'async-message';
      event: number;
      parameter1: number;
      parameter2: number;
      parameter3: number;
      data: Buffer;
    } & TargetSequence)
  | ({ kind: 'reject'; reason: number; rejectedItt: number | undefined; data: Buffer } & TargetSequence);

function seq(bhs: Buffer): TargetSequence {
  return { statSN: bhs.readUInt32BE(24), expCmdSN: bhs.readUInt32BE(28), maxCmdSN: bhs.readUInt32BE(32) };
}

/**
 * Decodes a PDU received from a target.
 *
 * @throws TapirError `TAPIR_E_ISCSI_PROTOCOL` for initiator or unknown opcodes and for fields that contradict each
 * other (a response with data but no room for its sense length, an R2T for zero bytes, …).
 */
export function decodeTargetPdu(pdu: Pdu): TargetPdu {
  const { bhs, data } = pdu;
  if (bhs.length !== BHS_LENGTH) throw protocolError(`basic header is ${bhs.length} bytes, not ${BHS_LENGTH}`);
  const opcode = (bhs[0] ?? 0) & 0x3f;
  const flags = bhs[1] ?? 0;
  const itt = bhs.readUInt32BE(16);
  switch (opcode) {
    case Opcode.NOP_IN:
      return {
        kind: 'nop-in',
        itt,
        ttt: bhs.readUInt32BE(20),
        lun: Buffer.from(bhs.subarray(8, 16)),
        data,
        ...seq(bhs),
      };
    case Opcode.SCSI_RESPONSE:
      if (data.length === 1) throw protocolError('SCSI Response data segment too short for its sense length');
      return {
        kind: 'scsi-response',
        itt,
        response: bhs[2] ?? 0,
        status: bhs[3] ?? 0,
        overflow: (flags & 0x04) !== 0,
        underflow: (flags & 0x02) !== 0,
        residual: bhs.readUInt32BE(44),
        data,
        ...seq(bhs),
      };
    case Opcode.DATA_IN:
      return {
        kind: 'data-in',
        itt,
        final: (flags & 0x80) !== 0,
        hasStatus: (flags & 0x01) !== 0,
        status: bhs[3] ?? 0,
        overflow: (flags & 0x04) !== 0,
        underflow: (flags & 0x02) !== 0,
        residual: bhs.readUInt32BE(44),
        dataSN: bhs.readUInt32BE(36),
        offset: bhs.readUInt32BE(40),
        data,
        ...seq(bhs),
      };
    case Opcode.R2T: {
      const length = bhs.readUInt32BE(44);
      if (length === 0) throw protocolError('R2T asks for zero bytes');
      return {
        kind: 'r2t',
        itt,
        ttt: bhs.readUInt32BE(20),
        r2tSN: bhs.readUInt32BE(36),
        offset: bhs.readUInt32BE(40),
        length,
        ...seq(bhs),
      };
    }
    case Opcode.LOGIN_RESPONSE:
      return {
        kind: 'login-response',
        transit: (flags & 0x80) !== 0,
        continue: (flags & 0x40) !== 0,
        csg: (flags >> 2) & 0x03,
        nsg: flags & 0x03,
        isid: Buffer.from(bhs.subarray(8, 14)),
        tsih: bhs.readUInt16BE(14),
        itt,
        statusClass: bhs[36] ?? 0,
        statusDetail: bhs[37] ?? 0,
        data,
        ...seq(bhs),
      };
    case Opcode.TEXT_RESPONSE:
      return {
        kind: 'text-response',
        final: (flags & 0x80) !== 0,
        continue: (flags & 0x40) !== 0,
        itt,
        ttt: bhs.readUInt32BE(20),
        data,
        ...seq(bhs),
      };
    case Opcode.LOGOUT_RESPONSE:
      return { kind: 'logout-response', itt, response: bhs[2] ?? 0, ...seq(bhs) };
    case Opcode.TASK_MANAGEMENT_RESPONSE:
      return { kind: 'task-management-response', itt, response: bhs[2] ?? 0, ...seq(bhs) };
    case Opcode.ASYNC_MESSAGE:
      return {
        kind: 'async-message',
        event: bhs[36] ?? 0,
        parameter1: bhs.readUInt16BE(38),
        parameter2: bhs.readUInt16BE(40),
        parameter3: bhs.readUInt16BE(42),
        data,
        ...seq(bhs),
      };
    case Opcode.REJECT: {
      const rejectedItt = data.length >= BHS_LENGTH ? data.readUInt32BE(16) : undefined;
      return { kind: 'reject', reason: bhs[2] ?? 0, rejectedItt, data, ...seq(bhs) };
    }
    default:
      throw protocolError(`unexpected opcode ${opcode.toString(16).padStart(2, '0')}h from the target`);
  }
}

/** A `TAPIR_E_ISCSI_PROTOCOL` error with the given detail. */
export function protocolError(detail: string, context: Record<string, unknown> = {}): TapirError {
  return new TapirError('TAPIR_E_ISCSI_PROTOCOL', `iSCSI protocol error: ${detail}`, context);
}

function header(opcode: number, immediate: boolean, flags: number, dataLength: number): Buffer {
  const bhs = Buffer.alloc(BHS_LENGTH);
  bhs[0] = (immediate ? 0x40 : 0) | opcode;
  bhs[1] = flags;
  bhs.writeUIntBE(dataLength, 5, 3);
  return bhs;
}

/** Encodes a LUN in the 8-byte LUN field with SAM peripheral (single-level) addressing, as tgt expects. */
export function encodeLun(lun: number): Buffer {
  const field = Buffer.alloc(8);
  if (lun < 256) field[1] = lun;
  else field.writeUInt16BE(0x4000 | (lun & 0x3fff), 0); // flat space addressing for 256..16383
  return field;
}

/** Login Request (§11.12). */
export function encodeLoginRequest(f: {
  transit: boolean;
  csg: number;
  nsg: number;
  isid: Buffer;
  tsih: number;
  itt: number;
  cid: number;
  cmdSN: number;
  expStatSN: number;
  data: Buffer;
}): Buffer {
  const bhs = header(
    Opcode.LOGIN_REQUEST,
    true,
    (f.transit ? 0x80 : 0) | ((f.csg & 3) << 2) | (f.transit ? f.nsg & 3 : 0),
    f.data.length,
  );
  bhs[2] = 0; // version-max
  bhs[3] = 0; // version-min
  f.isid.copy(bhs, 8, 0, 6);
  bhs.writeUInt16BE(f.tsih, 14);
  bhs.writeUInt32BE(f.itt, 16);
  bhs.writeUInt16BE(f.cid, 20);
  bhs.writeUInt32BE(f.cmdSN, 24);
  bhs.writeUInt32BE(f.expStatSN, 28);
  return bhs;
}

/** Text Request (§11.10). */
export function encodeTextRequest(f: {
  itt: number;
  ttt: number;
  cmdSN: number;
  expStatSN: number;
  final: boolean;
  dataLength: number;
}): Buffer {
  const bhs = header(Opcode.TEXT_REQUEST, true, f.final ? 0x80 : 0, f.dataLength);
  bhs.writeUInt32BE(f.itt, 16);
  bhs.writeUInt32BE(f.ttt, 20);
  bhs.writeUInt32BE(f.cmdSN, 24);
  bhs.writeUInt32BE(f.expStatSN, 28);
  return bhs;
}

/** SCSI Command (§11.3); CDBs longer than 16 bytes need an AHS and are refused. */
export function encodeScsiCommand(f: {
  lun: number;
  itt: number;
  read: boolean;
  write: boolean;
  final: boolean;
  expectedLength: number;
  cmdSN: number;
  expStatSN: number;
  cdb: Uint8Array;
  immediateLength: number;
}): Buffer {
  if (f.cdb.length > 16)
    throw new RangeError(`CDB of ${f.cdb.length} bytes needs an extended CDB AHS, which is not supported`);
  const bhs = header(
    Opcode.SCSI_COMMAND,
    false,
    (f.final ? 0x80 : 0) | (f.read ? 0x40 : 0) | (f.write ? 0x20 : 0) | 0x01,
    f.immediateLength,
  );
  encodeLun(f.lun).copy(bhs, 8);
  bhs.writeUInt32BE(f.itt, 16);
  bhs.writeUInt32BE(f.expectedLength, 20);
  bhs.writeUInt32BE(f.cmdSN, 24);
  bhs.writeUInt32BE(f.expStatSN, 28);
  bhs.set(f.cdb, 32);
  return bhs;
}

/** SCSI Data-Out (§11.7). */
export function encodeDataOut(f: {
  lun: number;
  itt: number;
  ttt: number;
  expStatSN: number;
  dataSN: number;
  offset: number;
  final: boolean;
  length: number;
}): Buffer {
  const bhs = header(Opcode.DATA_OUT, false, f.final ? 0x80 : 0, f.length);
  encodeLun(f.lun).copy(bhs, 8);
  bhs.writeUInt32BE(f.itt, 16);
  bhs.writeUInt32BE(f.ttt, 20);
  bhs.writeUInt32BE(f.expStatSN, 28);
  bhs.writeUInt32BE(f.dataSN, 36);
  bhs.writeUInt32BE(f.offset, 40);
  return bhs;
}

/** NOP-Out (§11.18): a ping (`itt` set, `ttt` reserved) or an answer to a target's NOP-In (`itt` reserved, `ttt` echoed). */
export function encodeNopOut(f: {
  itt: number;
  ttt: number;
  lun?: Buffer;
  cmdSN: number;
  expStatSN: number;
  dataLength?: number;
}): Buffer {
  const bhs = header(Opcode.NOP_OUT, true, 0x80, f.dataLength ?? 0);
  if (f.lun) f.lun.copy(bhs, 8);
  bhs.writeUInt32BE(f.itt, 16);
  bhs.writeUInt32BE(f.ttt, 20);
  bhs.writeUInt32BE(f.cmdSN, 24);
  bhs.writeUInt32BE(f.expStatSN, 28);
  return bhs;
}

/** Logout Request (§11.14), reason 0 closes the session. */
export function encodeLogoutRequest(f: {
  itt: number;
  cid: number;
  cmdSN: number;
  expStatSN: number;
  reason?: number;
}): Buffer {
  const bhs = header(Opcode.LOGOUT_REQUEST, true, 0x80 | ((f.reason ?? 0) & 0x7f), 0);
  bhs.writeUInt32BE(f.itt, 16);
  bhs.writeUInt16BE(f.cid, 20);
  bhs.writeUInt32BE(f.cmdSN, 24);
  bhs.writeUInt32BE(f.expStatSN, 28);
  return bhs;
}
