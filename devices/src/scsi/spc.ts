/**
 * SPC (primary commands) CDB builders and response parsers. Pure functions: no I/O.
 */
import { asciiField, readU16, readU32, writeU16, writeU32 } from './bytes.js';
import type { ScsiRequest } from './request.js';

/** Peripheral device types (SPC-4 table 49) tapir meets. */
export const DeviceType = {
  DISK: 0x00,
  TAPE: 0x01,
  MEDIUM_CHANGER: 0x08,
  CONTROLLER: 0x0c,
  ENCLOSURE: 0x0d,
  UNKNOWN: 0x1f,
} as const;

/** The standard INQUIRY data a device reports about itself. */
export interface InquiryData {
  /** 0 connected, 1 capable but not connected, 3 no device at this LUN. */
  readonly qualifier: number;
  /** Peripheral device type, see {@link DeviceType}. */
  readonly deviceType: number;
  readonly removable: boolean;
  /** MCHNGR: the device has an embedded medium changer. */
  readonly mediumChanger: boolean;
  /** SPC version the device claims. */
  readonly version: number;
  readonly vendor: string;
  readonly product: string;
  readonly revision: string;
}

/** INQUIRY (12h) for standard data (`page` omitted) or a VPD page. */
export function inquiry(page?: number, allocationLength = page === undefined ? 96 : 252): ScsiRequest {
  const cdb = Buffer.alloc(6);
  cdb[0] = 0x12;
  if (page !== undefined) {
    cdb[1] = 0x01;
    cdb[2] = page;
  }
  writeU16(cdb, 3, allocationLength);
  return { cdb, dataIn: allocationLength };
}

/** Parses standard INQUIRY data; throws RangeError below the 36 bytes that carry the identity. */
export function parseInquiry(data: Uint8Array): InquiryData {
  if (data.length < 36) throw new RangeError(`INQUIRY data is ${data.length} bytes, needs 36`);
  const b0 = data[0] ?? 0;
  return {
    qualifier: b0 >> 5,
    deviceType: b0 & 0x1f,
    removable: ((data[1] ?? 0) & 0x80) !== 0,
    mediumChanger: ((data[6] ?? 0) & 0x08) !== 0,
    version: data[2] ?? 0,
    vendor: asciiField(data, 8, 16),
    product: asciiField(data, 16, 32),
    revision: asciiField(data, 32, 36),
  };
}

/** Parses the Unit Serial Number VPD page (80h) into the trimmed serial. */
export function parseUnitSerialNumber(data: Uint8Array): string {
  if (data.length < 4 || data[1] !== 0x80) throw new RangeError('not a Unit Serial Number VPD page');
  return asciiField(data, 4, 4 + readU16(data, 2));
}

/** One designator from the Device Identification VPD page (83h). */
export interface Designator {
  /** 1 binary, 2 ASCII, 3 UTF-8. */
  readonly codeSet: number;
  /** 0 logical unit, 1 target port, 2 target device. */
  readonly association: number;
  /** 1 T10 vendor ID, 2 EUI-64, 3 NAA, 8 SCSI name string, … */
  readonly type: number;
  readonly value: Buffer;
  /** The value as text for ASCII/UTF-8 designators, as lowercase hex otherwise. */
  readonly text: string;
}

/** Parses the Device Identification VPD page (83h); a designator running past the page ends the list. */
export function parseDeviceIdentification(data: Uint8Array): Designator[] {
  if (data.length < 4 || data[1] !== 0x83) throw new RangeError('not a Device Identification VPD page');
  const end = Math.min(data.length, 4 + readU16(data, 2));
  const out: Designator[] = [];
  for (let p = 4; p + 4 <= end;) {
    const len = data[p + 3] ?? 0;
    if (p + 4 + len > end) break;
    const codeSet = (data[p] ?? 0) & 0x0f;
    const value = Buffer.from(data.subarray(p + 4, p + 4 + len));
    out.push({
      codeSet,
      association: ((data[p + 1] ?? 0) >> 4) & 0x03,
      type: (data[p + 1] ?? 0) & 0x0f,
      value,
      text: codeSet === 2 || codeSet === 3 ? asciiField(value, 0, value.length) : value.toString('hex'),
    });
    p += 4 + len;
  }
  return out;
}

/** TEST UNIT READY (00h). */
export function testUnitReady(): ScsiRequest {
  return { cdb: Buffer.alloc(6) };
}

/** REQUEST SENSE (03h); `descriptor` asks for descriptor-format sense. */
export function requestSense(descriptor = false, allocationLength = 252): ScsiRequest {
  const cdb = Buffer.alloc(6);
  cdb[0] = 0x03;
  cdb[1] = descriptor ? 1 : 0;
  cdb[4] = allocationLength;
  return { cdb, dataIn: allocationLength };
}

/** Options for {@link modeSense6}. */
export interface ModeSenseOptions {
  readonly page: number;
  readonly subpage?: number;
  /** Disable block descriptors. */
  readonly dbd?: boolean;
  /** Page control: 0 current, 1 changeable, 2 default, 3 saved. */
  readonly pageControl?: number;
  readonly allocationLength?: number;
}

/** MODE SENSE(6) (1Ah). */
export function modeSense6(options: ModeSenseOptions): ScsiRequest {
  const alloc = options.allocationLength ?? 255;
  const cdb = Buffer.alloc(6);
  cdb[0] = 0x1a;
  cdb[1] = options.dbd ? 0x08 : 0;
  cdb[2] = ((options.pageControl ?? 0) << 6) | (options.page & 0x3f);
  cdb[3] = options.subpage ?? 0;
  cdb[4] = alloc;
  return { cdb, dataIn: alloc };
}

/** A block descriptor from mode parameter data. */
export interface BlockDescriptor {
  readonly density: number;
  readonly blocks: number;
  /** Block length in bytes; 0 means variable-length blocks on a tape drive. */
  readonly blockLength: number;
}

/** One mode page from mode parameter data. */
export interface ModePage {
  readonly code: number;
  readonly subpage: number | undefined;
  /** The page bytes including its own header. */
  readonly bytes: Buffer;
}

/** Parsed MODE SENSE(6) parameter data. */
export interface ModeParameters {
  readonly mediumType: number;
  /** Device-specific byte: for tape, WP b7 and BUFFERED MODE b6–4. */
  readonly deviceSpecific: number;
  readonly writeProtected: boolean;
  readonly blockDescriptors: BlockDescriptor[];
  readonly pages: ModePage[];
}

/** Parses MODE SENSE(6) data: header, block descriptors and pages (a page running past the data ends the list). */
export function parseModeSense6(data: Uint8Array): ModeParameters {
  if (data.length < 4) throw new RangeError(`mode parameter data is ${data.length} bytes, needs 4`);
  const end = Math.min(data.length, (data[0] ?? 0) + 1);
  const bdLen = data[3] ?? 0;
  const blockDescriptors: BlockDescriptor[] = [];
  for (let p = 4; p + 8 <= Math.min(end, 4 + bdLen); p += 8) {
    blockDescriptors.push({
      density: data[p] ?? 0,
      blocks: ((data[p + 1] ?? 0) << 16) | readU16(data, p + 2),
      blockLength: ((data[p + 5] ?? 0) << 16) | readU16(data, p + 6),
    });
  }
  const pages: ModePage[] = [];
  for (let p = 4 + bdLen; p + 2 <= end;) {
    const spf = ((data[p] ?? 0) & 0x40) !== 0;
    const len = spf ? 4 + readU16(data, p + 2) : 2 + (data[p + 1] ?? 0);
    if (p + len > end) break;
    pages.push({
      code: (data[p] ?? 0) & 0x3f,
      subpage: spf ? (data[p + 1] ?? 0) : undefined,
      bytes: Buffer.from(data.subarray(p, p + len)),
    });
    p += len;
  }
  const deviceSpecific = data[2] ?? 0;
  return {
    mediumType: data[1] ?? 0,
    deviceSpecific,
    writeProtected: (deviceSpecific & 0x80) !== 0,
    blockDescriptors,
    pages,
  };
}

/**
 * MODE SELECT(6) (15h) with PF=1, SP=0 and the given parameter list (header included).
 * Build the list with {@link modeParameters6}.
 */
export function modeSelect6(parameters: Uint8Array): ScsiRequest {
  const cdb = Buffer.alloc(6);
  cdb[0] = 0x15;
  cdb[1] = 0x10;
  cdb[4] = parameters.length;
  return { cdb, dataOut: parameters };
}

/**
 * Builds MODE SELECT(6) parameter data: a 4-byte header, an optional block descriptor, then pages.
 * `bufferedMode` is the tape device-specific field (1 = buffered writes, the usual setting).
 */
export function modeParameters6(options: {
  blockDescriptor?: Partial<BlockDescriptor>;
  bufferedMode?: number;
  pages?: Uint8Array[];
}): Buffer {
  const bd = options.blockDescriptor;
  const pages = options.pages ?? [];
  const out = Buffer.alloc(4 + (bd ? 8 : 0) + pages.reduce((n, p) => n + p.length, 0));
  out[2] = ((options.bufferedMode ?? 1) & 0x07) << 4;
  out[3] = bd ? 8 : 0;
  let p = 4;
  if (bd) {
    out[p] = bd.density ?? 0;
    out.writeUIntBE((bd.blocks ?? 0) & 0xffffff, p + 1, 3);
    out.writeUIntBE((bd.blockLength ?? 0) & 0xffffff, p + 5, 3);
    p += 8;
  }
  for (const page of pages) {
    out.set(page, p);
    p += page.length;
  }
  return out;
}

/** REPORT SUPPORTED OPERATION CODES (A3h/0Ch), all commands. */
export function reportSupportedOperationCodes(allocationLength = 4096): ScsiRequest {
  const cdb = Buffer.alloc(12);
  cdb[0] = 0xa3;
  cdb[1] = 0x0c;
  writeU32(cdb, 6, allocationLength);
  return { cdb, dataIn: allocationLength };
}

/** A command the device says it supports. */
export interface SupportedOperation {
  readonly opcode: number;
  /** Present when the command has service actions. */
  readonly serviceAction: number | undefined;
  readonly cdbLength: number;
}

/** Parses REPORT SUPPORTED OPERATION CODES data (all-commands form). */
export function parseSupportedOperationCodes(data: Uint8Array): SupportedOperation[] {
  if (data.length < 4) throw new RangeError('supported operation codes data shorter than its header');
  const end = Math.min(data.length, 4 + readU32(data, 0));
  const out: SupportedOperation[] = [];
  for (let p = 4; p + 8 <= end;) {
    const ctdp = ((data[p + 5] ?? 0) & 0x02) !== 0;
    const servactv = ((data[p + 5] ?? 0) & 0x01) !== 0;
    out.push({
      opcode: data[p] ?? 0,
      serviceAction: servactv ? readU16(data, p + 2) : undefined,
      cdbLength: readU16(data, p + 6),
    });
    p += ctdp ? 20 : 8;
  }
  return out;
}

/** REPORT LUNS (A0h). */
export function reportLuns(allocationLength = 1024): ScsiRequest {
  const cdb = Buffer.alloc(12);
  cdb[0] = 0xa0;
  writeU32(cdb, 6, allocationLength);
  return { cdb, dataIn: allocationLength };
}

/** Parses REPORT LUNS data into LUN numbers (peripheral and flat addressing). */
export function parseReportLuns(data: Uint8Array): number[] {
  if (data.length < 8) throw new RangeError('REPORT LUNS data shorter than its header');
  const end = Math.min(data.length, 8 + readU32(data, 0));
  const luns: number[] = [];
  for (let p = 8; p + 8 <= end; p += 8) luns.push(readU16(data, p) & 0x3fff);
  return luns;
}
