import { describe, expect, it } from 'vitest';
import { isTapirError } from '@tapir/sdk';
import { PduReader } from '../src/iscsi/pdu-reader.js';
import { decodeTargetPdu, encodeDataOut, encodeLoginRequest, encodeScsiCommand, encodeLun } from '../src/iscsi/pdu.js';
import { decodeTextKeys, encodeTextKeys } from '../src/iscsi/text-keys.js';
import { parseIscsiUrl } from '../src/index.js';

function pdu(opcode: number, data: Buffer, fill: (b: Buffer) => void = () => {}): Buffer {
  const bhs = Buffer.alloc(48);
  bhs[0] = opcode;
  bhs.writeUIntBE(data.length, 5, 3);
  fill(bhs);
  return Buffer.concat([bhs, data, Buffer.alloc((4 - (data.length % 4)) % 4)]);
}

describe('PDU framing', () => {
  const stream = Buffer.concat([
    pdu(0x25, Buffer.from('hello'), (b) => b.writeUInt32BE(1, 16)),
    pdu(0x21, Buffer.alloc(0), (b) => b.writeUInt32BE(2, 16)),
    pdu(0x25, Buffer.alloc(9000, 3), (b) => {
      b[1] = 0x81;
      b.writeUInt32BE(3, 16);
    }),
    // An AHS of 8 bytes is skipped.
    Buffer.concat([
      (() => {
        const b = Buffer.alloc(48);
        b[0] = 0x20;
        b[4] = 2;
        b.writeUIntBE(3, 5, 3);
        return b;
      })(),
      Buffer.alloc(8, 0xee),
      Buffer.from([1, 2, 3, 0]),
    ]),
  ]);

  it('reassembles PDUs across any chunk boundaries, dropping padding and AHS', () => {
    for (const size of [1, 3, 47, 48, 49, 100, 4096, stream.length]) {
      const reader = new PduReader(65536);
      const out = [];
      for (let i = 0; i < stream.length; i += size) out.push(...reader.push(stream.subarray(i, i + size)));
      expect(out.map((p) => [p.bhs[0], p.data.length])).toEqual([
        [0x25, 5],
        [0x21, 0],
        [0x25, 9000],
        [0x20, 3],
      ]);
      expect(out[0]!.data.toString()).toBe('hello');
      expect([...out[3]!.data]).toEqual([1, 2, 3]);
      expect(reader.bufferedBytes).toBe(0);
    }
  });

  it('rejects a data segment over the declared maximum before buffering it', () => {
    const reader = new PduReader(8192);
    expect(() => reader.push(pdu(0x25, Buffer.alloc(8193)).subarray(0, 48))).toThrow(/exceeds the declared maximum/);
  });

  it('decodes 50,000 random headers into PDUs or TAPIR_E_ISCSI_PROTOCOL, nothing else', () => {
    let seed = 3;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    for (let i = 0; i < 50_000; i++) {
      const bhs = Buffer.alloc(48);
      for (let k = 0; k < 48; k++) bhs[k] = rand();
      if (i % 2) bhs[0] = [0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x31, 0x32, 0x3f][rand() % 10]!;
      const data = Buffer.alloc(rand() % 64);
      try {
        decodeTargetPdu({ bhs, data });
      } catch (err) {
        expect(isTapirError(err, 'TAPIR_E_ISCSI_PROTOCOL')).toBe(true);
      }
    }
  });
});

describe('PDU encoders', () => {
  it('SCSI Command: flags, LUN in byte 1, EDTL, CmdSN, CDB', () => {
    const bhs = encodeScsiCommand({
      lun: 2,
      itt: 9,
      read: true,
      write: false,
      final: true,
      expectedLength: 96,
      cmdSN: 5,
      expStatSN: 7,
      cdb: Buffer.from('1200000060 00'.replace(/ /g, ''), 'hex'),
      immediateLength: 0,
    });
    expect(bhs.subarray(0, 24).toString('hex')).toBe(
      '01c10000' + '00000000' + '0002000000000000' + '00000009' + '00000060',
    );
    expect(bhs.readUInt32BE(24)).toBe(5);
    expect(bhs.readUInt32BE(28)).toBe(7);
    expect(bhs.subarray(32, 38).toString('hex')).toBe('120000006000');
    expect(() =>
      encodeScsiCommand({
        lun: 0,
        itt: 1,
        read: false,
        write: false,
        final: true,
        expectedLength: 0,
        cmdSN: 0,
        expStatSN: 0,
        cdb: Buffer.alloc(32),
        immediateLength: 0,
      }),
    ).toThrow(RangeError);
  });

  it('Login Request: immediate bit, transit to the next stage, ISID, TSIH', () => {
    const bhs = encodeLoginRequest({
      transit: true,
      csg: 0,
      nsg: 1,
      isid: Buffer.from('800012340001', 'hex'),
      tsih: 0,
      itt: 0,
      cid: 0,
      cmdSN: 1,
      expStatSN: 0,
      data: Buffer.alloc(10),
    });
    expect(bhs.subarray(0, 16).toString('hex')).toBe('43810000' + '0000000a' + '800012340001' + '0000');
  });

  it('Data-Out: TTT, DataSN, offset, F', () => {
    const bhs = encodeDataOut({
      lun: 1,
      itt: 4,
      ttt: 0x1000,
      expStatSN: 2,
      dataSN: 3,
      offset: 8192,
      final: true,
      length: 100,
    });
    expect(bhs[0]).toBe(0x05);
    expect(bhs[1]).toBe(0x80);
    expect(bhs.readUInt32BE(20)).toBe(0x1000);
    expect(bhs.readUInt32BE(36)).toBe(3);
    expect(bhs.readUInt32BE(40)).toBe(8192);
  });

  it('LUN encoding: peripheral for < 256, flat above', () => {
    expect(encodeLun(1).toString('hex')).toBe('0001000000000000');
    expect(encodeLun(300).toString('hex')).toBe('412c000000000000');
  });

  it('text keys round-trip and reject pairs without "="', () => {
    const keys: Array<[string, string]> = [
      ['TargetName', 'iqn.x'],
      ['TargetAddress', '1.2.3.4:3260,1'],
      ['TargetName', 'iqn.y'],
    ];
    expect(decodeTextKeys(encodeTextKeys(keys))).toEqual(keys);
    expect(() => decodeTextKeys(Buffer.from('novalue\0'))).toThrow(/malformed text key/);
  });
});

describe('iSCSI URLs', () => {
  it.each([
    [
      'iscsi://127.0.0.1:3261/iqn.2026-11.test:vtl/2',
      { host: '127.0.0.1', port: 3261, targetName: 'iqn.2026-11.test:vtl', lun: 2 },
    ],
    ['iscsi://san.example', { host: 'san.example', port: 3260, targetName: undefined, lun: undefined }],
    ['iscsi://[::1]:3270/iqn.a:b', { host: '::1', port: 3270, targetName: 'iqn.a:b', lun: undefined }],
  ])('%s', (url, expected) => expect(parseIscsiUrl(url)).toEqual(expected));

  it('rejects other schemes with TAPIR_E_CONFIG_INVALID', () => {
    expect(() => parseIscsiUrl('http://x/y')).toThrow(expect.objectContaining({ code: 'TAPIR_E_CONFIG_INVALID' }));
  });
});
