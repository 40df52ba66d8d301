/**
 * Descriptions of the additional sense codes a tape drive or media changer reports, from SPC's ASC/ASCQ table.
 * Only codes tapir acts on or that operators meet are listed; others print as hex.
 */
const ASC_TEXT: Record<string, string> = {
  '0000': 'no additional sense information',
  '0001': 'filemark detected',
  '0002': 'end-of-partition/medium detected',
  '0004': 'beginning-of-partition/medium detected',
  '0005': 'end-of-data detected',
  '0017': 'cleaning requested',
  '0400': 'logical unit not ready, cause not reportable',
  '0401': 'logical unit is in process of becoming ready',
  '0402': 'logical unit not ready, initializing command required',
  '0403': 'logical unit not ready, manual intervention required',
  '0c00': 'write error',
  '1100': 'unrecovered read error',
  '1501': 'mechanical positioning error',
  '2000': 'invalid command operation code',
  '2101': 'invalid element address',
  '2400': 'invalid field in CDB',
  '2500': 'logical unit not supported',
  '2600': 'invalid field in parameter list',
  '2700': 'write protected',
  '2800': 'not ready to ready change, medium may have changed',
  '2900': 'power on, reset, or bus device reset occurred',
  '3003': 'cleaning cartridge installed',
  '3100': 'medium format corrupted',
  '3a00': 'medium not present',
  '3b00': 'sequential positioning error',
  '3b0d': 'medium destination element full',
  '3b0e': 'medium source element empty',
  '5300': 'media load or eject failed',
  '5302': 'medium removal prevented',
};

/** Describes an additional sense code and qualifier in words, e.g. `0x3b, 0x0e` → "medium source element empty". */
export function describeAsc(asc: number, ascq: number): string {
  const key = asc.toString(16).padStart(2, '0') + ascq.toString(16).padStart(2, '0');
  return ASC_TEXT[key] ?? `ASC ${key.slice(0, 2)}h ASCQ ${key.slice(2)}h`;
}
