import { describe, expect, it } from 'vitest';
import { isTapirError } from '@tapir/sdk';
import { decodeSense, describeAsc, senseKeyName, type SenseCondition } from '../src/index.js';
import { sgDecodeSense } from './support/sg-oracle.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** Sense vectors: what tgt and the standards send, and the conditions tapir must read from them. */
const VECTORS: Array<{ name: string; bytes: string; conditions: SenseCondition[]; information?: number }> = [
  {
    name: 'tgt READ short block: NO SENSE, ILI, INFO = residue',
    bytes: 'f0 00 20 00 03 0d 40 0a 00000000 0000 00 000000',
    conditions: ['incorrect-length'],
    information: 200000,
  },
  {
    name: 'overlength read: ILI with negative INFO',
    bytes: 'f0 00 20 ff ff ff 00 0a 00000000 0000 00 000000',
    conditions: ['incorrect-length'],
    information: -256,
  },
  {
    name: 'tgt READ filemark: FILEMARK + 00/01',
    bytes: 'f0 00 80 00 04 93 e0 0a 00000000 0001 00 000000',
    conditions: ['filemark'],
    information: 300000,
  },
  {
    name: 'tgt READ end of data: BLANK CHECK + EOM, 00/00',
    bytes: '70 00 48 00 00 00 00 0a 00000000 0000 00 000000',
    conditions: ['blank-check', 'end-of-data'],
  },
  {
    name: 'SSC end of data: BLANK CHECK 00/05',
    bytes: '70 00 08 00 00 00 00 0a 00000000 0005 00 000000',
    conditions: ['blank-check', 'end-of-data'],
  },
  {
    name: 'tgt SPACE end of data: NO SENSE 00/05',
    bytes: '70 00 00 00 00 00 00 0a 00000000 0005 00 000000',
    conditions: ['end-of-data'],
  },
  {
    name: 'tgt SPACE beginning of tape: NO SENSE 00/04 (EOM)',
    bytes: '70 00 40 00 00 00 00 0a 00000000 0004 00 000000',
    conditions: ['beginning-of-medium'],
  },
  {
    name: 'tgt write past capacity: NO SENSE + EOM, 00/00',
    bytes: '70 00 40 00 00 00 00 0a 00000000 0000 00 000000',
    conditions: ['early-warning'],
  },
  {
    name: 'SSC early warning: NO SENSE + EOM, 00/02',
    bytes: '70 00 40 00 00 00 00 0a 00000000 0002 00 000000',
    conditions: ['early-warning'],
  },
  {
    name: 'volume overflow with residue',
    bytes: 'f0 00 4d 00 00 10 00 0a 00000000 0002 00 000000',
    conditions: ['volume-overflow', 'early-warning'],
    information: 4096,
  },
  {
    name: 'no medium',
    bytes: '70 00 02 00 00 00 00 0a 00000000 3a00 00 000000',
    conditions: ['not-ready', 'no-medium'],
  },
  { name: 'becoming ready', bytes: '70 00 02 00 00 00 00 0a 00000000 0401 00 000000', conditions: ['becoming-ready'] },
  {
    name: 'not ready, manual intervention',
    bytes: '70 00 02 00 00 00 00 0a 00000000 0403 00 000000',
    conditions: ['not-ready'],
  },
  {
    name: 'medium error: unrecovered read',
    bytes: '70 00 03 00 00 00 00 0a 00000000 1100 00 000000',
    conditions: ['medium-error'],
  },
  { name: 'hardware error', bytes: '70 00 04 00 00 00 00 0a 00000000 4400 00 000000', conditions: ['hardware-error'] },
  {
    name: 'invalid field in CDB with SKS',
    bytes: '70 00 05 00 00 00 00 0a 00000000 2400 00 c00002',
    conditions: ['illegal-request'],
  },
  {
    name: 'tgt first command: UNIT ATTENTION 29/00',
    bytes: '70 00 06 00 00 00 00 0a 00000000 2900 00 000000',
    conditions: ['unit-attention', 'reset'],
  },
  {
    name: 'medium may have changed',
    bytes: '70 00 06 00 00 00 00 0a 00000000 2800 00 000000',
    conditions: ['unit-attention', 'medium-changed'],
  },
  { name: 'write protected', bytes: '70 00 07 00 00 00 00 0a 00000000 2700 00 000000', conditions: ['data-protect'] },
  {
    name: 'changer: source empty',
    bytes: '70 00 05 00 00 00 00 0a 00000000 3b0e 00 000000',
    conditions: ['illegal-request', 'source-empty'],
  },
  {
    name: 'changer: destination full',
    bytes: '70 00 05 00 00 00 00 0a 00000000 3b0d 00 000000',
    conditions: ['illegal-request', 'destination-full'],
  },
  { name: 'aborted command', bytes: '70 00 0b 00 00 00 00 0a 00000000 4700 00 000000', conditions: ['aborted'] },
  {
    name: 'recovered error, cleaning requested',
    bytes: '70 00 01 00 00 00 00 0a 00000000 0017 00 000000',
    conditions: ['recovered', 'cleaning-requested'],
  },
  { name: 'deferred error', bytes: '71 00 03 00 00 00 00 0a 00000000 0c00 00 000000', conditions: ['medium-error'] },
  {
    name: 'descriptor: illegal request with information',
    bytes: '72 05 24 00 00 00 00 0c 00 0a 80 00 00 00 00 00 00 00 00 10',
    conditions: ['illegal-request'],
    information: 16,
  },
  {
    name: 'descriptor: stream commands FILEMARK + EOM with information',
    bytes: '72 00 00 01 00 00 00 10 00 0a 80 00 00 00 00 00 00 00 00 05 04 02 00 c0',
    conditions: ['filemark', 'early-warning'],
    information: 5,
  },
  {
    name: 'descriptor: blank check end of data',
    bytes: '72 08 00 05 00 00 00 00',
    conditions: ['blank-check', 'end-of-data'],
  },
  {
    name: 'descriptor: ILI',
    bytes: '72 00 00 00 00 00 00 10 00 0a 80 00 00 00 00 00 00 00 01 00 04 02 00 20',
    conditions: ['incorrect-length'],
    information: 256,
  },
];

describe('sense decoding', () => {
  it.each(VECTORS)('$name', ({ bytes, conditions, information }) => {
    const raw = hex(bytes);
    const sense = decodeSense(raw);
    expect([...sense.conditions].sort()).toEqual([...conditions].sort());
    expect(sense.information).toBe(information);

    // The oracle: sg3-utils decodes the same bytes independently.
    const sg = sgDecodeSense(raw);
    expect(sense.format).toBe(sg.format);
    expect(sense.current).toBe(sg.current);
    expect(senseKeyName(sense.key).toLowerCase()).toBe(sg.senseKey.toLowerCase());
    expect(sense.filemark).toBe(sg.filemark);
    expect(sense.eom).toBe(sg.eom);
    expect(sense.ili).toBe(sg.ili);
    if (information !== undefined) {
      expect(sg.information).toBeDefined();
      // sg prints the raw field; tapir reads it as signed for ILI residues.
      expect(BigInt.asIntN(sense.format === 'fixed' ? 32 : 64, sg.information!)).toBe(BigInt(information));
    }
    const ours = describeAsc(sense.asc, sense.ascq);
    if (!/^ASC /.test(ours)) expect(ours.toLowerCase()).toBe(sg.additional.toLowerCase());
  });

  it('treats a fixed INFORMATION field without VALID as absent', () => {
    const sense = decodeSense(hex('70 00 85 ff ff ff ff 0a 00000000 0000 00 000000'));
    expect(sense.information).toBeUndefined();
    expect(sgDecodeSense(hex('70 00 85 ff ff ff ff 0a 00000000 0000 00 000000')).infoValid).toBe(false);
  });

  it('reads short fixed sense (SPC allows truncation) with missing fields as zero', () => {
    const sense = decodeSense(hex('70 00 06 00 00 00 00'));
    expect(sense.key).toBe(6);
    expect(sense.asc).toBe(0);
    expect(sense.conditions.has('unit-attention')).toBe(true);
  });

  it('ignores bytes past the additional length', () => {
    // Additional length 0: ASC/ASCQ bytes present but outside the sense.
    const sense = decodeSense(hex('70 00 05 00 00 00 00 00 00000000 2400 00 000000'));
    expect(sense.asc).toBe(0);
  });

  it.each([
    ['empty', ''],
    ['unknown response code', '7f 00 05 00'],
    ['not sense at all', '00 01 02 03'],
    ['fixed too short for the sense key', '70 00'],
    ['descriptor too short', '72'],
  ])('rejects %s with TAPIR_E_DEVICE', (_name, bytes) => {
    let error: unknown;
    try {
      decodeSense(hex(bytes));
    } catch (err) {
      error = err;
    }
    expect(isTapirError(error, 'TAPIR_E_DEVICE')).toBe(true);
  });

  it('survives descriptors that run past the end', () => {
    const sense = decodeSense(hex('72 03 11 00 00 00 00 20 00 0a 80 00 00 00'));
    expect(sense.conditions.has('medium-error')).toBe(true);
    expect(sense.information).toBeUndefined();
  });

  it('decodes 20,000 random and mutated inputs without throwing anything but TapirError', () => {
    let seed = 12345;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    const bases = VECTORS.map((v) => hex(v.bytes));
    for (let i = 0; i < 20_000; i++) {
      const base = bases[i % bases.length]!;
      const buf = Buffer.from(base.subarray(0, rand() % (base.length + 1)));
      for (let k = rand() % 4; k > 0 && buf.length; k--) buf[rand() % buf.length] = rand();
      if (i % 3 === 0) buf[0] = [0x70, 0x71, 0x72, 0x73][rand() & 3]!;
      try {
        const s = decodeSense(buf);
        expect(s.conditions).toBeInstanceOf(Set);
      } catch (err) {
        expect(isTapirError(err, 'TAPIR_E_DEVICE')).toBe(true);
      }
    }
  });
});
