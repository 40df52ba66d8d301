import type { Sense } from './sense.js';

/**
 * One SCSI command as the command-set builders produce it and a {@link Transport} executes it.
 *
 * @remarks
 * A request moves data in at most one direction: `dataIn` is the allocation length the device may return,
 * `dataOut` the bytes sent to it. Builders are pure; nothing here touches a device.
 */
export interface ScsiRequest {
  /** The command descriptor block (6, 10, 12 or 16 bytes). */
  readonly cdb: Uint8Array;
  /** Bytes expected from the device (the allocation or transfer length); omitted for no data-in phase. */
  readonly dataIn?: number;
  /** Bytes sent to the device; omitted for no data-out phase. */
  readonly dataOut?: Uint8Array;
  /** Per-command timeout in milliseconds; the transport's default when omitted. */
  readonly timeoutMs?: number;
}

/** SCSI status codes (SAM-5). */
export const ScsiStatus = {
  GOOD: 0x00,
  CHECK_CONDITION: 0x02,
  CONDITION_MET: 0x04,
  BUSY: 0x08,
  RESERVATION_CONFLICT: 0x18,
  TASK_SET_FULL: 0x28,
  ACA_ACTIVE: 0x30,
  TASK_ABORTED: 0x40,
} as const;

/** What a device answered to a {@link ScsiRequest}. */
export interface ScsiResponse {
  /** The SCSI status byte; see {@link ScsiStatus}. */
  readonly status: number;
  /** Data the device returned (possibly shorter than `dataIn`). Meaningless when status is CHECK CONDITION. */
  readonly data: Buffer;
  /** Decoded sense, present with CHECK CONDITION when the device sent sense data. */
  readonly sense?: Sense;
  /** Bytes of the expected transfer that did not happen (positive) or overflowed (negative), as the transport saw it. */
  readonly residual: number;
}

/** The operation code's conventional name, for messages (`0x08` → `READ(6)`). */
export function opcodeName(opcode: number): string {
  return OPCODE_NAMES[opcode] ?? `opcode ${opcode.toString(16).padStart(2, '0')}h`;
}

const OPCODE_NAMES: Record<number, string> = {
  0x00: 'TEST UNIT READY',
  0x01: 'REWIND',
  0x03: 'REQUEST SENSE',
  0x05: 'READ BLOCK LIMITS',
  0x07: 'INITIALIZE ELEMENT STATUS',
  0x08: 'READ(6)',
  0x0a: 'WRITE(6)',
  0x10: 'WRITE FILEMARKS(6)',
  0x11: 'SPACE(6)',
  0x12: 'INQUIRY',
  0x15: 'MODE SELECT(6)',
  0x19: 'ERASE(6)',
  0x1a: 'MODE SENSE(6)',
  0x1b: 'LOAD UNLOAD',
  0x1e: 'PREVENT ALLOW MEDIUM REMOVAL',
  0x2b: 'LOCATE(10)',
  0x34: 'READ POSITION',
  0x37: 'INITIALIZE ELEMENT STATUS WITH RANGE',
  0xa0: 'REPORT LUNS',
  0xa3: 'REPORT SUPPORTED OPERATION CODES',
  0xa5: 'MOVE MEDIUM',
  0xb8: 'READ ELEMENT STATUS',
};
