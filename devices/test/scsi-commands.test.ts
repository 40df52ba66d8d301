import { describe, expect, it } from 'vitest';
import {
  ElementType,
  erase6,
  initializeElementStatus,
  initializeElementStatusWithRange,
  inquiry,
  loadUnload,
  locate10,
  modeParameters6,
  modeSelect6,
  modeSense6,
  moveMedium,
  parseBlockLimits,
  parseDeviceIdentification,
  parseElementAddressAssignment,
  parseElementStatus,
  parseInquiry,
  parseModeSense6,
  parseReadPosition,
  parseReportLuns,
  parseSupportedOperationCodes,
  parseUnitSerialNumber,
  read6,
  readBlockLimits,
  readElementStatus,
  readPosition,
  ReadPositionForm,
  reportLuns,
  reportSupportedOperationCodes,
  requestSense,
  rewind,
  space6,
  SpaceCode,
  testUnitReady,
  write6,
  writeFilemarks6,
  type ScsiRequest,
} from '../src/index.js';
import { sgCdbName, sgInq } from './support/sg-oracle.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const cdbHex = (r: ScsiRequest): string => Buffer.from(r.cdb).toString('hex');

/** Each builder's CDB byte for byte; `sg` is sg3-utils' name for opcodes it decodes unambiguously (it assumes a disk). */
const CDBS: Array<{ name: string; request: ScsiRequest; cdb: string; dataIn?: number; sg?: string }> = [
  { name: 'TEST UNIT READY', request: testUnitReady(), cdb: '000000000000', sg: 'Test Unit Ready' },
  {
    name: 'REQUEST SENSE, descriptor',
    request: requestSense(true),
    cdb: '030100' + '00fc00',
    dataIn: 252,
    sg: 'Request Sense',
  },
  { name: 'INQUIRY standard', request: inquiry(), cdb: '120000006000', dataIn: 96, sg: 'Inquiry' },
  { name: 'INQUIRY VPD 80h', request: inquiry(0x80), cdb: '12018000fc00', dataIn: 252, sg: 'Inquiry' },
  { name: 'INQUIRY VPD 83h', request: inquiry(0x83, 1024), cdb: '120183040000', dataIn: 1024 },
  {
    name: 'MODE SENSE(6) page 1Dh, DBD',
    request: modeSense6({ page: 0x1d, dbd: true }),
    cdb: '1a081d00ff00',
    dataIn: 255,
    sg: 'Mode sense(6)',
  },
  {
    name: 'MODE SENSE(6) changeable values',
    request: modeSense6({ page: 0x0f, pageControl: 1, allocationLength: 64 }),
    cdb: '1a004f004000',
    dataIn: 64,
  },
  {
    name: 'MODE SELECT(6) 12 bytes',
    request: modeSelect6(Buffer.alloc(12)),
    cdb: '151000000c00',
    sg: 'Mode select(6)',
  },
  {
    name: 'REPORT SUPPORTED OPERATION CODES',
    request: reportSupportedOperationCodes(),
    cdb: 'a30c00000000000010000000',
    dataIn: 4096,
    sg: 'Report supported operation codes',
  },
  { name: 'REPORT LUNS', request: reportLuns(), cdb: 'a00000000000000004000000', dataIn: 1024, sg: 'Report luns' },
  { name: 'READ(6) variable 1 MiB', request: read6(1 << 20), cdb: '080010000000', dataIn: 1 << 20, sg: 'Read(6)' },
  { name: 'READ(6) variable with SILI', request: read6(65536, { sili: true }), cdb: '080201000000', dataIn: 65536 },
  { name: 'READ(6) fixed 4 × 512', request: read6(4, { blockSize: 512 }), cdb: '080100000400', dataIn: 2048 },
  { name: 'WRITE(6) variable 256 KiB', request: write6(Buffer.alloc(262144)), cdb: '0a0004000000', sg: 'Write(6)' },
  { name: 'WRITE(6) fixed 3 × 1024', request: write6(Buffer.alloc(3072), { blockSize: 1024 }), cdb: '0a0100000300' },
  { name: 'WRITE FILEMARKS(6) 2', request: writeFilemarks6(2), cdb: '100000000200', sg: 'Write filemarks(6)' },
  { name: 'WRITE FILEMARKS(6) flush, IMMED', request: writeFilemarks6(0, true), cdb: '100100000000' },
  { name: 'SPACE(6) 1 filemark', request: space6(SpaceCode.FILEMARKS, 1), cdb: '110100000100', sg: 'Space(6)' },
  { name: 'SPACE(6) −1 filemark', request: space6(SpaceCode.FILEMARKS, -1), cdb: '1101ffffff00' },
  { name: 'SPACE(6) −2 blocks', request: space6(SpaceCode.BLOCKS, -2), cdb: '1100fffffe00' },
  { name: 'SPACE(6) end of data', request: space6(SpaceCode.END_OF_DATA), cdb: '110300000000' },
  { name: 'REWIND', request: rewind(), cdb: '010000000000' },
  { name: 'REWIND IMMED', request: rewind(true), cdb: '010100000000' },
  { name: 'LOAD UNLOAD unload', request: loadUnload(false), cdb: '1b0000000000' },
  { name: 'LOAD UNLOAD load, IMMED', request: loadUnload(true, { immediate: true }), cdb: '1b0100000100' },
  { name: 'LOAD UNLOAD unload EOT HOLD', request: loadUnload(false, { eot: true, hold: true }), cdb: '1b0000000c00' },
  { name: 'READ POSITION short', request: readPosition(), cdb: '34000000000000000000', dataIn: 20 },
  { name: 'READ POSITION long', request: readPosition(ReadPositionForm.LONG), cdb: '34060000000000000000', dataIn: 32 },
  { name: 'READ BLOCK LIMITS', request: readBlockLimits(), cdb: '050000000000', dataIn: 6, sg: 'Read Block Limits' },
  { name: 'LOCATE(10) block 4096', request: locate10(4096), cdb: '2b000000001000000000' },
  { name: 'LOCATE(10) partition 1, CP', request: locate10(7, { partition: 1 }), cdb: '2b020000000007000100' },
  {
    name: 'ERASE(6) long, IMMED',
    request: erase6({ long: true, immediate: true }),
    cdb: '190300000000',
    sg: 'Erase(6)',
  },
  {
    name: 'READ ELEMENT STATUS storage, VOLTAG',
    request: readElementStatus({ type: ElementType.STORAGE, volumeTags: true }),
    cdb: 'b8120000ffff0000ffff0000',
    dataIn: 0xffff,
    sg: 'Read element status',
  },
  {
    name: 'READ ELEMENT STATUS drives, VOLTAG + DVCID, from 1 count 2',
    request: readElementStatus({
      type: ElementType.DATA_TRANSFER,
      volumeTags: true,
      deviceIds: true,
      start: 1,
      count: 2,
      allocationLength: 4096,
    }),
    cdb: 'b81400010002010010000000',
    dataIn: 4096,
  },
  {
    name: 'MOVE MEDIUM slot 10 → drive 1',
    request: moveMedium(10, 1),
    cdb: 'a50000000' + '00a00010000' + '0000',
    sg: 'Move medium',
  },
  { name: 'INITIALIZE ELEMENT STATUS', request: initializeElementStatus(), cdb: '070000000000' },
  {
    name: 'INITIALIZE ELEMENT STATUS WITH RANGE 10+8',
    request: initializeElementStatusWithRange(10, 8),
    cdb: '3701000a000000080000',
  },
];

describe('CDB builders', () => {
  it.each(CDBS)('$name', ({ request, cdb, dataIn, sg }) => {
    expect(cdbHex(request)).toBe(cdb);
    expect(request.dataIn).toBe(dataIn);
    if (sg) expect(sgCdbName(request.cdb)).toBe(sg);
  });

  it('refuses lengths that do not fit the CDB', () => {
    expect(() => read6(1 << 24)).toThrow(RangeError);
    expect(() => space6(SpaceCode.BLOCKS, 1 << 23)).toThrow(RangeError);
    expect(() => write6(Buffer.alloc(1000), { blockSize: 512 })).toThrow(RangeError);
    expect(() => locate10(-1)).toThrow(RangeError);
  });

  it('carries WRITE(6) data and MODE SELECT parameters as data-out', () => {
    const data = Buffer.from('block');
    expect(write6(data).dataOut).toBe(data);
    const params = modeParameters6({ blockDescriptor: { blockLength: 65536 } });
    expect(params.toString('hex')).toBe('00001008' + '0000000000010000');
    expect(modeSelect6(params).dataOut).toBe(params);
  });
});

/** tgt's standard INQUIRY for its tape LU, reproduced, plus a changer variant. */
function inquiryData(type: number, product: string, mchngr = false): Buffer {
  const b = Buffer.alloc(96);
  b[0] = type;
  b[1] = 0x80;
  b[2] = 5;
  b[3] = 2;
  b[4] = 91;
  b[6] = mchngr ? 0x08 : 0;
  b.write('IET     ', 8, 'ascii');
  b.write(product.padEnd(16), 16, 'ascii');
  b.write('0001', 32, 'ascii');
  return b;
}

describe('SPC parsers against sg_inq', () => {
  it.each([
    ['tape', inquiryData(1, 'VIRTUAL-TAPE'), 'tape'],
    ['changer', inquiryData(8, 'VIRTUAL-CHANGER'), 'medium changer'],
    ['tape with MCHNGR', inquiryData(1, 'VIRTUAL-TAPE', true), 'tape'],
  ])('standard INQUIRY of a %s', (_name, data, pdt) => {
    const ours = parseInquiry(data);
    const sg = sgInq(data);
    expect(sg).toContain(`Peripheral device type: ${pdt}`);
    expect(sg).toMatch(new RegExp(`PDT=${ours.deviceType}\\b`));
    expect(sg).toMatch(new RegExp(`RMB=${ours.removable ? 1 : 0}\\b`));
    expect(sg).toMatch(new RegExp(`MChngr=${ours.mediumChanger ? 1 : 0}\\b`));
    expect(sg).toMatch(new RegExp(`Vendor identification: ${ours.vendor}\\s`));
    expect(sg).toMatch(new RegExp(`Product identification: ${ours.product}\\s`));
    expect(sg).toMatch(new RegExp(`Product revision level: ${ours.revision}\\b`));
    expect(sg).toContain(`version=0x${ours.version.toString(16).padStart(2, '0')}`);
  });

  it('refuses INQUIRY data shorter than the identity fields', () => {
    expect(() => parseInquiry(Buffer.alloc(20))).toThrow(RangeError);
  });

  it('Unit Serial Number page: tgt right-justifies the serial in a padded field', () => {
    const serial = Buffer.from('                              beaf11', 'ascii');
    const page = Buffer.concat([Buffer.from([0x01, 0x80, 0x00, serial.length]), serial]);
    expect(parseUnitSerialNumber(page)).toBe('beaf11');
    expect(sgInq(page, 0x80)).toMatch(/Unit serial number:\s+beaf11/);
  });

  it('Device Identification page: NAA and T10 vendor designators', () => {
    const d1 = Buffer.concat([Buffer.from([0x01, 0x03, 0, 16]), hex('60000000000000000000000000000001')]);
    const d2 = Buffer.concat([Buffer.from([0x02, 0x01, 0, 16]), Buffer.from('IET     00010001')]);
    const page = Buffer.concat([Buffer.from([0x01, 0x83, 0, d1.length + d2.length]), d1, d2]);
    const ds = parseDeviceIdentification(page);
    expect(ds.map((d) => [d.type, d.codeSet, d.association])).toEqual([
      [3, 1, 0],
      [1, 2, 0],
    ]);
    expect(ds[0]!.text).toBe('60000000000000000000000000000001');
    expect(ds[1]!.text).toBe('IET     00010001');
    const sg = sgInq(page, 0x83);
    expect(sg).toContain('designator_type: NAA,  code_set: Binary');
    expect(sg).toContain(`[0x${ds[0]!.text}]`);
    expect(sg).toContain('designator_type: T10 vendor identification,  code_set: ASCII');
    expect(sg).toContain(`vendor id: ${ds[1]!.text.slice(0, 8)}`);
    expect(sg).toContain(`vendor specific: ${ds[1]!.text.slice(8)}`);
  });

  it('MODE SENSE(6) header and block descriptor, variable blocks as tgt reports them', () => {
    const data = hex('0b 00 10 08 00 00 00 00 00 00 00 00');
    const p = parseModeSense6(data);
    expect(p.deviceSpecific).toBe(0x10);
    expect(p.writeProtected).toBe(false);
    expect(p.blockDescriptors).toEqual([{ density: 0, blocks: 0, blockLength: 0 }]);
    expect(p.pages).toEqual([]);
  });

  it('MODE SENSE(6) with the element address assignment page', () => {
    const page = hex('1d 12 0005 0001 000a 0008 0008 0001 0001 0002 0000');
    const data = Buffer.concat([Buffer.from([3 + page.length, 0, 0, 0]), page]);
    const p = parseModeSense6(data);
    expect(p.pages).toHaveLength(1);
    expect(parseElementAddressAssignment(p.pages[0]!.bytes)).toEqual({
      transport: { first: 5, count: 1 },
      storage: { first: 10, count: 8 },
      importExport: { first: 8, count: 1 },
      dataTransfer: { first: 1, count: 2 },
    });
  });

  it('REPORT SUPPORTED OPERATION CODES: tgt changer list', () => {
    const ops = [0x00, 0x03, 0x07, 0x12, 0x1a, 0x37, 0x5a, 0xa0, 0xa5, 0xb8];
    const descriptors = ops.map((op) => Buffer.from([op, 0, 0, 0, 0, 0, 0, op >= 0xa0 ? 12 : op >= 0x20 ? 10 : 6]));
    const a3 = Buffer.from([0xa3, 0, 0, 0x0c, 0, 0x01, 0, 12]);
    const body = Buffer.concat([...descriptors, a3]);
    const data = Buffer.concat([Buffer.from([0, 0, 0, body.length]), body]);
    const parsed = parseSupportedOperationCodes(data);
    expect(parsed.map((p) => p.opcode)).toEqual([...ops, 0xa3]);
    expect(parsed.at(-1)).toEqual({ opcode: 0xa3, serviceAction: 0x0c, cdbLength: 12 });
  });

  it('REPORT LUNS', () => {
    expect(parseReportLuns(hex('00000018 00000000 0000000000000000 0001000000000000 0002000000000000'))).toEqual([
      0, 1, 2,
    ]);
  });
});

describe('SSC parsers', () => {
  it('READ POSITION short form from tgt says nothing is known', () => {
    const data = Buffer.alloc(20);
    data[0] = 0x14;
    const p = parseReadPosition(data);
    expect(p.block).toBeUndefined();
    expect(p.bytesInBuffer).toBeUndefined();
  });

  it('READ POSITION short form with a position', () => {
    const data = hex('80 00 0000 00000007 00000007 00 000000 00000000');
    expect(parseReadPosition(data)).toMatchObject({
      beginningOfPartition: true,
      partition: 0,
      block: 7,
      blocksInBuffer: 0,
      bytesInBuffer: 0,
    });
  });

  it('READ POSITION long form', () => {
    const data = hex('00 000000 00000001 0000000000000100 0000000000000003 0000000000000000');
    expect(parseReadPosition(data, ReadPositionForm.LONG)).toMatchObject({ partition: 1, block: 256, file: 3 });
  });

  it('READ BLOCK LIMITS: tgt variable mode', () => {
    expect(parseBlockLimits(hex('09 100000 0004'))).toEqual({ granularity: 9, maximum: 1 << 20, minimum: 4 });
  });
});

/** Builds a READ ELEMENT STATUS answer the way SMC-3 lays it out. */
function elementStatus(
  type: number,
  descriptors: Array<{ address: number; full: boolean; barcode?: string; source?: number; deviceId?: string }>,
  opts: { voltag: boolean; dvcid: boolean },
): Buffer {
  const dlen = 12 + (opts.voltag ? 36 : 0) + (opts.dvcid ? 4 + 34 : 0);
  const descs = descriptors.map((d) => {
    const b = Buffer.alloc(dlen);
    b.writeUInt16BE(d.address, 0);
    b[2] = d.full ? 1 : 0;
    if (d.source !== undefined) {
      b[9] = 0x80;
      b.writeUInt16BE(d.source, 10);
    }
    let p = 12;
    if (opts.voltag) {
      b.write((d.barcode ?? '').padEnd(32), p, 'ascii');
      p += 36;
    }
    if (opts.dvcid) {
      b[p] = 2;
      b[p + 1] = 1;
      b[p + 3] = 34;
      b.write(d.deviceId ?? '', p + 4, 'ascii');
    }
    return b;
  });
  const body = Buffer.concat(descs);
  const page = Buffer.alloc(8);
  page[0] = type;
  page[1] = opts.voltag ? 0x80 : 0;
  page.writeUInt16BE(dlen, 2);
  page.writeUIntBE(body.length, 5, 3);
  const header = Buffer.alloc(8);
  header.writeUInt16BE(descriptors[0]?.address ?? 0, 0);
  header.writeUInt16BE(descriptors.length, 2);
  header.writeUIntBE(8 + body.length, 5, 3);
  return Buffer.concat([header, page, body]);
}

describe('SMC parsers', () => {
  it('storage slots with barcodes and a source address', () => {
    const data = elementStatus(
      2,
      [
        { address: 10, full: true, barcode: 'TAPE0001L6' },
        { address: 11, full: false },
        { address: 12, full: true, barcode: 'CLN001L1', source: 1 },
      ],
      { voltag: true, dvcid: false },
    );
    const r = parseElementStatus(data);
    expect(r.elements.map((e) => [e.address, e.full, e.barcode, e.sourceAddress])).toEqual([
      [10, true, 'TAPE0001L6', undefined],
      [11, false, undefined, undefined],
      [12, true, 'CLN001L1', 1],
    ]);
  });

  it('drives with device identifiers, cut 8 bytes short as tgt sends them', () => {
    const full = elementStatus(
      4,
      [
        { address: 1, full: false, deviceId: 'IET     VIRTUAL-TAPE    beaf11' },
        { address: 2, full: true, barcode: 'TAPE0002L6', deviceId: 'IET     VIRTUAL-TAPE    beaf12' },
      ],
      { voltag: true, dvcid: true },
    );
    const r = parseElementStatus(full.subarray(0, full.length - 8));
    expect(r.elements).toHaveLength(2);
    expect(r.elements[0]!.deviceId).toBe('IET     VIRTUAL-TAPE    beaf11');
    expect(r.elements[1]!.barcode).toBe('TAPE0002L6');
    expect(r.elements[1]!.deviceId).toBe('IET     VIRTUAL-TAPE    be');
  });

  it('an empty element type: header only', () => {
    expect(parseElementStatus(hex('0000 0000 00 000008')).elements).toEqual([]);
  });

  it('refuses a descriptor length below 12 and data shorter than the header', () => {
    expect(() => parseElementStatus(hex('0000 0001 00 000010 02 00 0004 00 000008 0000000000000000'))).toThrow(
      RangeError,
    );
    expect(() => parseElementStatus(hex('0000 00'))).toThrow(RangeError);
  });
});

describe('parsers on random and truncated input', () => {
  const parsers: Array<[string, (b: Buffer) => unknown, Buffer]> = [
    [
      'parseElementStatus',
      parseElementStatus,
      elementStatus(2, [{ address: 10, full: true, barcode: 'X' }], { voltag: true, dvcid: true }),
    ],
    [
      'parseModeSense6',
      parseModeSense6,
      hex('1f000008 0000000000000000 1d12000500010 00a0008000800010001000200 00'.replace(/ /g, '')),
    ],
    ['parseDeviceIdentification', parseDeviceIdentification, hex('0183000c 02010008 4945542020202020')],
    ['parseSupportedOperationCodes', parseSupportedOperationCodes, hex('00000010 0000000000000006 a300000c00010000c')],
    ['parseInquiry', parseInquiry, inquiryData(1, 'VIRTUAL-TAPE')],
    ['parseReadPosition', parseReadPosition, Buffer.alloc(20)],
    ['parseReportLuns', parseReportLuns, hex('00000008 0000000000000000')],
  ];
  it.each(parsers)('%s returns or throws RangeError, 5,000 times', (_name, parse, base) => {
    let seed = 99;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    for (let i = 0; i < 5000; i++) {
      const buf = Buffer.from(base.subarray(0, rand() % (base.length + 8)));
      for (let k = rand() % 5; k > 0 && buf.length; k--) buf[rand() % buf.length] = rand();
      try {
        parse(buf);
      } catch (err) {
        expect(err).toBeInstanceOf(RangeError);
      }
    }
  });
});
