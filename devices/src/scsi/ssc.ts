/**
 * SSC (stream commands, tape) CDB builders and response parsers. Pure functions: no I/O.
 */
import { readU16, readU32, readU64, readU24, writeU24, writeU32 } from './bytes.js';
import type { ScsiRequest } from './request.js';

/** What {@link space6} moves over (SSC-3 table 40); tgt implements blocks, filemarks and end of data only. */
export const SpaceCode = {
  BLOCKS: 0,
  FILEMARKS: 1,
  SEQUENTIAL_FILEMARKS: 2,
  END_OF_DATA: 3,
} as const;

const MAX_24 = 0xffffff;

function checkLength(length: number, what: string): void {
  if (!Number.isInteger(length) || length < 0 || length > MAX_24)
    throw new RangeError(`${what} ${length} does not fit 24 bits`);
}

/**
 * READ(6) (08h).
 *
 * @param length - bytes in variable mode, blocks in fixed mode.
 * @param options.blockSize - the fixed block size; omit for variable mode.
 * @param options.sili - suppress the incorrect-length indication for short blocks (variable mode).
 */
export function read6(length: number, options: { blockSize?: number; sili?: boolean } = {}): ScsiRequest {
  checkLength(length, 'transfer length');
  const cdb = Buffer.alloc(6);
  cdb[0] = 0x08;
  cdb[1] = (options.blockSize ? 0x01 : 0) | (options.sili && !options.blockSize ? 0x02 : 0);
  writeU24(cdb, 2, length);
  return { cdb, dataIn: options.blockSize ? length * options.blockSize : length };
}

/**
 * WRITE(6) (0Ah) of `data`: one block in variable mode, `data.length / blockSize` blocks in fixed mode.
 */
export function write6(data: Uint8Array, options: { blockSize?: number } = {}): ScsiRequest {
  const cdb = Buffer.alloc(6);
  cdb[0] = 0x0a;
  let length = data.length;
  if (options.blockSize) {
    if (data.length % options.blockSize !== 0)
      throw new RangeError(`${data.length} bytes are not whole ${options.blockSize}-byte blocks`);
    cdb[1] = 0x01;
    length = data.length / options.blockSize;
  }
  checkLength(length, 'transfer length');
  writeU24(cdb, 2, length);
  return { cdb, dataOut: data };
}

/** WRITE FILEMARKS(6) (10h). A count of 0 without IMMED flushes the drive's buffer. */
export function writeFilemarks6(count: number, immediate = false): ScsiRequest {
  checkLength(count, 'filemark count');
  const cdb = Buffer.alloc(6);
  cdb[0] = 0x10;
  cdb[1] = immediate ? 1 : 0;
  writeU24(cdb, 2, count);
  return { cdb };
}

/** SPACE(6) (11h): `count` is signed (negative moves toward the beginning); ignored for END_OF_DATA. */
export function space6(code: number, count = 0): ScsiRequest {
  if (!Number.isInteger(count) || count < -0x800000 || count > 0x7fffff)
    throw new RangeError(`space count ${count} does not fit 24 bits`);
  const cdb = Buffer.alloc(6);
  cdb[0] = 0x11;
  cdb[1] = code & 0x0f;
  writeU24(cdb, 2, count & MAX_24);
  return { cdb };
}

/** REWIND (01h). */
export function rewind(immediate = false): ScsiRequest {
  const cdb = Buffer.alloc(6);
  cdb[0] = 0x01;
  cdb[1] = immediate ? 1 : 0;
  return { cdb };
}

/** LOAD UNLOAD (1Bh) as SSC defines it: `load` true loads, false unloads. */
export function loadUnload(
  load: boolean,
  options: { immediate?: boolean; hold?: boolean; eot?: boolean; retension?: boolean } = {},
): ScsiRequest {
  const cdb = Buffer.alloc(6);
  cdb[0] = 0x1b;
  cdb[1] = options.immediate ? 1 : 0;
  cdb[4] = (options.hold ? 0x08 : 0) | (options.eot ? 0x04 : 0) | (options.retension ? 0x02 : 0) | (load ? 0x01 : 0);
  return { cdb };
}

/** READ POSITION (34h) service actions. */
export const ReadPositionForm = { SHORT: 0x00, LONG: 0x06, EXTENDED: 0x08 } as const;

/** READ POSITION (34h) in the short (20 bytes) or long (32 bytes) form. */
export function readPosition(form: number = ReadPositionForm.SHORT): ScsiRequest {
  const alloc = form === ReadPositionForm.LONG ? 32 : form === ReadPositionForm.EXTENDED ? 32 : 20;
  const cdb = Buffer.alloc(10);
  cdb[0] = 0x34;
  cdb[1] = form & 0x1f;
  // The allocation length field is only defined for the extended form; short and long have fixed sizes.
  if (form === ReadPositionForm.EXTENDED) cdb.writeUInt16BE(alloc, 7);
  return { cdb, dataIn: alloc };
}

/** Position as READ POSITION reports it. Fields are undefined when the device says they are unknown. */
export interface ReportedPosition {
  readonly beginningOfPartition: boolean;
  readonly endOfPartition: boolean;
  /** Programmable early warning zone. */
  readonly earlyWarning: boolean;
  readonly partition: number | undefined;
  readonly block: number | undefined;
  /** Long form only. */
  readonly file: number | undefined;
  readonly blocksInBuffer: number | undefined;
  readonly bytesInBuffer: number | undefined;
}

/** Parses short-form (20 bytes) or long-form (32 bytes) READ POSITION data, chosen by `form`. */
export function parseReadPosition(data: Uint8Array, form: number = ReadPositionForm.SHORT): ReportedPosition {
  const b0 = data[0] ?? 0;
  if (form === ReadPositionForm.LONG) {
    if (data.length < 32) throw new RangeError(`long READ POSITION data is ${data.length} bytes, needs 32`);
    const unknown = (b0 & 0x20) !== 0 || (b0 & 0x04) !== 0; // LONU / MPU
    return {
      beginningOfPartition: (b0 & 0x80) !== 0,
      endOfPartition: (b0 & 0x40) !== 0,
      earlyWarning: (b0 & 0x01) !== 0,
      partition: unknown ? undefined : readU32(data, 4),
      block: unknown ? undefined : readU64(data, 8),
      file: unknown ? undefined : readU64(data, 16),
      blocksInBuffer: undefined,
      bytesInBuffer: undefined,
    };
  }
  if (data.length < 20) throw new RangeError(`short READ POSITION data is ${data.length} bytes, needs 20`);
  const blockUnknown = (b0 & 0x04) !== 0; // LOLU
  const bufferUnknown = (b0 & 0x10) !== 0 || (b0 & 0x20) !== 0; // BYCU / LOCU
  return {
    beginningOfPartition: (b0 & 0x80) !== 0,
    endOfPartition: (b0 & 0x40) !== 0,
    earlyWarning: (b0 & 0x01) !== 0,
    partition: blockUnknown ? undefined : (data[1] ?? 0),
    block: blockUnknown ? undefined : readU32(data, 4),
    file: undefined,
    blocksInBuffer: bufferUnknown ? undefined : readU24(data, 13),
    bytesInBuffer: bufferUnknown ? undefined : readU32(data, 16),
  };
}

/** READ BLOCK LIMITS (05h). */
export function readBlockLimits(): ScsiRequest {
  const cdb = Buffer.alloc(6);
  cdb[0] = 0x05;
  return { cdb, dataIn: 6 };
}

/** The block sizes a drive accepts. */
export interface BlockLimits {
  /** Block sizes must be multiples of 2^granularity. */
  readonly granularity: number;
  readonly maximum: number;
  readonly minimum: number;
}

/** Parses READ BLOCK LIMITS data. */
export function parseBlockLimits(data: Uint8Array): BlockLimits {
  if (data.length < 6) throw new RangeError(`READ BLOCK LIMITS data is ${data.length} bytes, needs 6`);
  return { granularity: (data[0] ?? 0) & 0x1f, maximum: readU24(data, 1), minimum: readU16(data, 4) };
}

/** LOCATE(10) (2Bh) to a logical block (or, with `blockType`, a device-specific block id) in an optional partition. */
export function locate10(
  block: number,
  options: { partition?: number; blockType?: boolean; immediate?: boolean } = {},
): ScsiRequest {
  if (!Number.isInteger(block) || block < 0 || block > 0xffffffff)
    throw new RangeError(`block ${block} does not fit 32 bits`);
  const cdb = Buffer.alloc(10);
  cdb[0] = 0x2b;
  cdb[1] =
    (options.blockType ? 0x04 : 0) | (options.partition !== undefined ? 0x02 : 0) | (options.immediate ? 0x01 : 0);
  writeU32(cdb, 3, block);
  cdb[8] = options.partition ?? 0;
  return { cdb };
}

/** ERASE(6) (19h): `long` erases to the end of the partition, otherwise writes an end-of-data mark here. */
export function erase6(options: { long?: boolean; immediate?: boolean } = {}): ScsiRequest {
  const cdb = Buffer.alloc(6);
  cdb[0] = 0x19;
  cdb[1] = (options.immediate ? 0x02 : 0) | (options.long ? 0x01 : 0);
  return { cdb };
}
