/**
 * SMC (media changer commands) CDB builders and response parsers. Pure functions: no I/O.
 */
import { asciiField, readU16, readU24, writeU16, writeU24 } from './bytes.js';
import type { ScsiRequest } from './request.js';

/** Element types (SMC-3 table 10). `ALL` exists in the standard; never send it to tgt (see quirks). */
export const ElementType = {
  ALL: 0,
  MEDIUM_TRANSPORT: 1,
  STORAGE: 2,
  IMPORT_EXPORT: 3,
  DATA_TRANSFER: 4,
} as const;

/** An element type's numeric value. */
export type ElementTypeValue = (typeof ElementType)[keyof typeof ElementType];

/** Options for {@link readElementStatus}. */
export interface ReadElementStatusOptions {
  readonly type: ElementTypeValue;
  readonly start?: number;
  readonly count?: number;
  /** Report volume tags (barcodes). */
  readonly volumeTags?: boolean;
  /** Report device identifiers of data transfer elements. */
  readonly deviceIds?: boolean;
  /** Ask for current data without an inventory scan. */
  readonly currentData?: boolean;
  readonly allocationLength?: number;
}

/** READ ELEMENT STATUS (B8h). */
export function readElementStatus(options: ReadElementStatusOptions): ScsiRequest {
  const alloc = options.allocationLength ?? 0xffff;
  const cdb = Buffer.alloc(12);
  cdb[0] = 0xb8;
  cdb[1] = (options.volumeTags ? 0x10 : 0) | (options.type & 0x0f);
  writeU16(cdb, 2, options.start ?? 0);
  writeU16(cdb, 4, options.count ?? 0xffff);
  cdb[6] = (options.currentData ? 0x02 : 0) | (options.deviceIds ? 0x01 : 0);
  writeU24(cdb, 7, alloc);
  return { cdb, dataIn: alloc };
}

/** The state of one changer element: a slot, a drive, a mail slot or the picker. */
export interface ElementStatus {
  readonly type: ElementTypeValue;
  readonly address: number;
  /** A medium is in the element. */
  readonly full: boolean;
  /** The element is in an abnormal state; see `asc`/`ascq`. */
  readonly exception: boolean;
  /** The picker can reach the element. */
  readonly accessible: boolean;
  /** Import/export: the medium was placed by an operator (true) or by the picker (false). */
  readonly imported: boolean | undefined;
  readonly asc: number;
  readonly ascq: number;
  /** Primary volume tag (barcode), trimmed; undefined when not reported or blank. */
  readonly barcode: string | undefined;
  /** The element the medium came from, when the changer knows. */
  readonly sourceAddress: number | undefined;
  /** Medium type code: 1 data, 2 cleaning, 4 WORM; 0 unspecified. */
  readonly mediumType: number;
  /** Data transfer elements: the device identifier (DVCID), as text for ASCII code sets. */
  readonly deviceId: string | undefined;
}

/** READ ELEMENT STATUS data. */
export interface ElementStatusReport {
  /** The header's first element address (unreliable on tgt; take addresses from {@link ElementStatus.address}). */
  readonly firstAddress: number;
  readonly elements: ElementStatus[];
}

/**
 * Parses READ ELEMENT STATUS data page by page, descriptor by descriptor.
 *
 * @remarks
 * Trusts each page header's byte count but never reads past the data received; a descriptor cut off by the end of the
 * data is parsed from what arrived with the missing tail read as zero (tgt sends 8 bytes less than it reports).
 * Throws RangeError for data that is not element status at all.
 */
export function parseElementStatus(data: Uint8Array): ElementStatusReport {
  if (data.length < 8) throw new RangeError(`element status data is ${data.length} bytes, needs the 8-byte header`);
  const firstAddress = readU16(data, 0);
  const total = 8 + readU24(data, 5);
  const elements: ElementStatus[] = [];
  for (let p = 8; p + 8 <= total && p + 8 <= data.length;) {
    const type = ((data[p] ?? 0) & 0x0f) as ElementTypeValue;
    const pvoltag = ((data[p + 1] ?? 0) & 0x80) !== 0;
    const avoltag = ((data[p + 1] ?? 0) & 0x40) !== 0;
    const dlen = readU16(data, p + 2);
    const pageBytes = readU24(data, p + 5);
    if (dlen < 12) throw new RangeError(`element descriptor length ${dlen} is below the 12-byte minimum`);
    const pageEnd = Math.min(p + 8 + pageBytes, total);
    for (let d = p + 8; d + 2 <= pageEnd && d < data.length; d += dlen) {
      const desc = Buffer.alloc(dlen);
      desc.set(data.subarray(d, Math.min(d + dlen, data.length)));
      elements.push(parseDescriptor(desc, type, pvoltag, avoltag));
    }
    if (pageBytes === 0) break;
    p = p + 8 + pageBytes;
  }
  return { firstAddress, elements };
}

function parseDescriptor(d: Buffer, type: ElementTypeValue, pvoltag: boolean, avoltag: boolean): ElementStatus {
  const flags = d[2] ?? 0;
  const b9 = d[9] ?? 0;
  let p = 12;
  let barcode: string | undefined;
  if (pvoltag) {
    barcode = asciiField(d, p, p + 32) || undefined;
    p += 36;
  }
  if (avoltag) p += 36;
  let deviceId: string | undefined;
  if (p + 4 <= d.length) {
    const codeSet = (d[p] ?? 0) & 0x0f;
    const len = d[p + 3] ?? 0;
    if (len > 0) {
      const value = d.subarray(p + 4, Math.min(p + 4 + len, d.length));
      deviceId =
        codeSet === 2 || codeSet === 3 ? asciiField(value, 0, value.length) : Buffer.from(value).toString('hex');
    }
  }
  return {
    type,
    address: readU16(d, 0),
    full: (flags & 0x01) !== 0,
    exception: (flags & 0x04) !== 0,
    accessible: (flags & 0x08) !== 0,
    imported: type === ElementType.IMPORT_EXPORT ? (flags & 0x02) !== 0 : undefined,
    asc: d[4] ?? 0,
    ascq: d[5] ?? 0,
    barcode,
    sourceAddress: (b9 & 0x80) !== 0 ? readU16(d, 10) : undefined,
    mediumType: b9 & 0x07,
    deviceId,
  };
}

/** MOVE MEDIUM (A5h) from `source` to `destination` with the default transport. INVERT is never set (tgt mishandles it). */
export function moveMedium(source: number, destination: number, transport = 0): ScsiRequest {
  const cdb = Buffer.alloc(12);
  cdb[0] = 0xa5;
  writeU16(cdb, 2, transport);
  writeU16(cdb, 4, source);
  writeU16(cdb, 6, destination);
  return { cdb };
}

/** INITIALIZE ELEMENT STATUS (07h): a full inventory scan. */
export function initializeElementStatus(): ScsiRequest {
  const cdb = Buffer.alloc(6);
  cdb[0] = 0x07;
  return { cdb };
}

/** INITIALIZE ELEMENT STATUS WITH RANGE (37h). */
export function initializeElementStatusWithRange(start: number, count: number): ScsiRequest {
  const cdb = Buffer.alloc(10);
  cdb[0] = 0x37;
  cdb[1] = 0x01;
  writeU16(cdb, 2, start);
  writeU16(cdb, 6, count);
  return { cdb };
}

/** The mode page code of the element address assignment page. */
export const ELEMENT_ADDRESS_ASSIGNMENT_PAGE = 0x1d;

/** First address and count of each element type, from mode page 1Dh. */
export interface ElementAddressAssignment {
  readonly transport: { first: number; count: number };
  readonly storage: { first: number; count: number };
  readonly importExport: { first: number; count: number };
  readonly dataTransfer: { first: number; count: number };
}

/** Parses the element address assignment page (1Dh) from its page bytes (page header included). */
export function parseElementAddressAssignment(page: Uint8Array): ElementAddressAssignment {
  if (page.length < 18 || ((page[0] ?? 0) & 0x3f) !== ELEMENT_ADDRESS_ASSIGNMENT_PAGE)
    throw new RangeError('not an element address assignment page');
  const range = (o: number): { first: number; count: number } => ({
    first: readU16(page, o),
    count: readU16(page, o + 2),
  });
  return { transport: range(2), storage: range(6), importExport: range(10), dataTransfer: range(14) };
}
