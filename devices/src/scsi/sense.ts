import { TapirError } from '@tapir/sdk';
import { describeAsc } from './asc-text.js';
import { readU16, readU32, readU64 } from './bytes.js';

/** SCSI sense keys (SPC-4 table 28). */
export const SenseKey = {
  NO_SENSE: 0x0,
  RECOVERED_ERROR: 0x1,
  NOT_READY: 0x2,
  MEDIUM_ERROR: 0x3,
  HARDWARE_ERROR: 0x4,
  ILLEGAL_REQUEST: 0x5,
  UNIT_ATTENTION: 0x6,
  DATA_PROTECT: 0x7,
  BLANK_CHECK: 0x8,
  VENDOR_SPECIFIC: 0x9,
  COPY_ABORTED: 0xa,
  ABORTED_COMMAND: 0xb,
  VOLUME_OVERFLOW: 0xd,
  MISCOMPARE: 0xe,
} as const;

/** A sense key's numeric value. */
export type SenseKeyValue = (typeof SenseKey)[keyof typeof SenseKey];

const SENSE_KEY_NAMES = [
  'NO SENSE',
  'RECOVERED ERROR',
  'NOT READY',
  'MEDIUM ERROR',
  'HARDWARE ERROR',
  'ILLEGAL REQUEST',
  'UNIT ATTENTION',
  'DATA PROTECT',
  'BLANK CHECK',
  'VENDOR SPECIFIC',
  'COPY ABORTED',
  'ABORTED COMMAND',
  'RESERVED',
  'VOLUME OVERFLOW',
  'MISCOMPARE',
  'COMPLETED',
];

/**
 * What a sense report means to a tape or changer caller, decoded once from the key, the ASC/ASCQ and the stream bits.
 *
 * @remarks
 * Several conditions may hold at once (a filemark with an incorrect length, early warning on a write that succeeded).
 * Classification follows bits and ASC across sense keys, because emulators do not always use the key the standard asks
 * for (tgt reports end of data on SPACE as NO SENSE 00/05 and on READ as BLANK CHECK 00/00 with EOM).
 */
export type SenseCondition =
  | 'filemark'
  | 'early-warning'
  | 'end-of-data'
  | 'beginning-of-medium'
  | 'blank-check'
  | 'incorrect-length'
  | 'not-ready'
  | 'becoming-ready'
  | 'no-medium'
  | 'medium-error'
  | 'hardware-error'
  | 'illegal-request'
  | 'unit-attention'
  | 'medium-changed'
  | 'reset'
  | 'data-protect'
  | 'volume-overflow'
  | 'aborted'
  | 'recovered'
  | 'cleaning-requested'
  | 'source-empty'
  | 'destination-full';

/** Decoded sense data, in either format. */
export interface Sense {
  /** `fixed` for response codes 70h/71h, `descriptor` for 72h/73h. */
  readonly format: 'fixed' | 'descriptor';
  /** False for deferred errors (71h/73h), which belong to an earlier command. */
  readonly current: boolean;
  readonly key: number;
  readonly asc: number;
  readonly ascq: number;
  /** FILEMARK stream bit. */
  readonly filemark: boolean;
  /** EOM stream bit (end of medium, early warning, or beginning of medium when spacing backwards). */
  readonly eom: boolean;
  /** ILI stream bit (incorrect length indicator). */
  readonly ili: boolean;
  /** The INFORMATION field when the device marked it valid (signed for fixed-format ILI residues), else undefined. */
  readonly information: number | undefined;
  /** Sense-key specific bytes (3) when SKSV is set. */
  readonly senseKeySpecific: number | undefined;
  /** Everything this sense means, see {@link SenseCondition}. */
  readonly conditions: ReadonlySet<SenseCondition>;
  /** The raw bytes. */
  readonly raw: Uint8Array;
}

/** The name of a sense key as SPC spells it, e.g. `ILLEGAL REQUEST`. */
export function senseKeyName(key: number): string {
  return SENSE_KEY_NAMES[key & 0xf] ?? 'RESERVED';
}

/**
 * Decodes sense data in fixed (70h/71h) or descriptor (72h/73h) format.
 *
 * @remarks
 * Tolerates short sense (fields past the end read as zero, as SPC allows) but throws `TAPIR_E_DEVICE` for data that
 * is not sense at all (an unknown response code or fewer than the bytes that carry the sense key).
 *
 * @example
 * ```ts
 * const sense = decodeSense(response.sense);
 * if (sense.conditions.has('filemark')) position.file++;
 * ```
 */
export function decodeSense(raw: Uint8Array): Sense {
  const code = (raw[0] ?? 0) & 0x7f;
  if (code === 0x70 || code === 0x71) return decodeFixed(raw, code === 0x70);
  if (code === 0x72 || code === 0x73) return decodeDescriptor(raw, code === 0x72);
  throw new TapirError('TAPIR_E_DEVICE', `sense data has unknown response code ${hex(raw[0] ?? 0)}`, {
    sense: Buffer.from(raw.subarray(0, 32)).toString('hex'),
  });
}

function decodeFixed(raw: Uint8Array, current: boolean): Sense {
  if (raw.length < 3) throw truncated(raw);
  const b2 = raw[2] ?? 0;
  // Additional length bounds the fields the device meant to send; bytes past it read as zero.
  const end = Math.min(raw.length, 8 + (raw[7] ?? 0));
  const at = (i: number): number => (i < end || i < 8 ? (raw[i] ?? 0) : 0);
  const valid = ((raw[0] ?? 0) & 0x80) !== 0;
  const ili = (b2 & 0x20) !== 0;
  let information: number | undefined;
  if (valid && raw.length >= 7) {
    const unsigned = readU32(raw, 3);
    information = ili ? unsigned | 0 : unsigned;
  }
  const sks = at(15);
  return build({
    format: 'fixed',
    current,
    key: b2 & 0x0f,
    asc: at(12),
    ascq: at(13),
    filemark: (b2 & 0x80) !== 0,
    eom: (b2 & 0x40) !== 0,
    ili,
    information,
    senseKeySpecific: sks & 0x80 ? ((sks & 0x7f) << 16) | (at(16) << 8) | at(17) : undefined,
    raw,
  });
}

function decodeDescriptor(raw: Uint8Array, current: boolean): Sense {
  if (raw.length < 2) throw truncated(raw);
  const end = Math.min(raw.length, 8 + (raw[7] ?? 0));
  let filemark = false;
  let eom = false;
  let ili = false;
  let information: number | undefined;
  let senseKeySpecific: number | undefined;
  for (let p = 8; p + 2 <= end;) {
    const type = raw[p] ?? 0;
    const len = raw[p + 1] ?? 0;
    const next = p + 2 + len;
    if (next > end) break; // a truncated descriptor is ignored, the rest of the sense still counts
    if (type === 0x00 && len >= 0x0a && ((raw[p + 2] ?? 0) & 0x80) !== 0) information = readU64(raw, p + 4);
    if (type === 0x02 && len >= 6 && ((raw[p + 4] ?? 0) & 0x80) !== 0)
      senseKeySpecific = (((raw[p + 4] ?? 0) & 0x7f) << 16) | readU16(raw, p + 5);
    if (type === 0x04 && len >= 2) {
      const bits = raw[p + 3] ?? 0;
      filemark = (bits & 0x80) !== 0;
      eom = (bits & 0x40) !== 0;
      ili = (bits & 0x20) !== 0;
    }
    p = next;
  }
  return build({
    format: 'descriptor',
    current,
    key: (raw[1] ?? 0) & 0x0f,
    asc: raw[2] ?? 0,
    ascq: raw[3] ?? 0,
    filemark,
    eom,
    ili,
    information,
    senseKeySpecific,
    raw,
  });
}

function build(fields: Omit<Sense, 'conditions'>): Sense {
  return { ...fields, conditions: classify(fields) };
}

function classify(s: Omit<Sense, 'conditions'>): Set<SenseCondition> {
  const c = new Set<SenseCondition>();
  const ascq = (s.asc << 8) | s.ascq;
  if (s.filemark || ascq === 0x0001) c.add('filemark');
  if (s.ili) c.add('incorrect-length');
  if (ascq === 0x0005) c.add('end-of-data');
  if (ascq === 0x0004) c.add('beginning-of-medium');
  // EOM with anything but BOT, end of data or a hard overflow is the early-warning zone (tgt sends ASC 00/00, not 00/02).
  if (
    ascq === 0x0002 ||
    (s.eom &&
      ascq !== 0x0004 &&
      ascq !== 0x0005 &&
      s.key !== SenseKey.BLANK_CHECK &&
      s.key !== SenseKey.VOLUME_OVERFLOW)
  )
    c.add('early-warning');
  if (ascq === 0x0017) c.add('cleaning-requested');
  switch (s.key) {
    case SenseKey.RECOVERED_ERROR:
      c.add('recovered');
      break;
    case SenseKey.NOT_READY:
      c.add(s.asc === 0x3a ? 'no-medium' : ascq === 0x0401 ? 'becoming-ready' : 'not-ready');
      if (s.asc === 0x3a) c.add('not-ready');
      break;
    case SenseKey.MEDIUM_ERROR:
      c.add('medium-error');
      break;
    case SenseKey.HARDWARE_ERROR:
      c.add('hardware-error');
      break;
    case SenseKey.ILLEGAL_REQUEST:
      c.add('illegal-request');
      break;
    case SenseKey.UNIT_ATTENTION:
      c.add('unit-attention');
      if (s.asc === 0x28) c.add('medium-changed');
      if (s.asc === 0x29) c.add('reset');
      break;
    case SenseKey.DATA_PROTECT:
      c.add('data-protect');
      break;
    case SenseKey.BLANK_CHECK:
      c.add('blank-check');
      // tgt reports end of data on READ as BLANK CHECK 00/00 with EOM; SSC says BLANK CHECK 00/05. Both mean EOD.
      c.add('end-of-data');
      break;
    case SenseKey.ABORTED_COMMAND:
      c.add('aborted');
      break;
    case SenseKey.VOLUME_OVERFLOW:
      c.add('volume-overflow');
      break;
  }
  if (ascq === 0x3b0e) c.add('source-empty');
  if (ascq === 0x3b0d) c.add('destination-full');
  if (s.key === SenseKey.NOT_READY && s.asc === 0x3a) c.add('no-medium');
  return c;
}

/**
 * A one-line description of sense data for messages and error context, e.g.
 * `ILLEGAL REQUEST 3B/0E medium source element empty`.
 */
export function describeSense(sense: Sense): string {
  const flags = [sense.filemark && 'FMK', sense.eom && 'EOM', sense.ili && 'ILI'].filter(Boolean).join(' ');
  const info = sense.information !== undefined ? ` info=${sense.information}` : '';
  return `${senseKeyName(sense.key)} ${hex2(sense.asc)}/${hex2(sense.ascq)} ${describeAsc(sense.asc, sense.ascq)}${flags ? ` ${flags}` : ''}${info}`;
}

function truncated(raw: Uint8Array): TapirError {
  return new TapirError('TAPIR_E_DEVICE', `sense data truncated to ${raw.length} bytes`, {
    sense: Buffer.from(raw).toString('hex'),
  });
}

function hex(n: number): string {
  return `${n.toString(16).padStart(2, '0')}h`;
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0').toUpperCase();
}
