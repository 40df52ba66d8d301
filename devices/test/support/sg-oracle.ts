/** sg3-utils' offline decoders as an independent oracle: what `sg_decode_sense` and `sg_inq --inhex` make of bytes. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The fields `sg_decode_sense` prints for sense data. */
export interface SgSense {
  format: 'fixed' | 'descriptor';
  current: boolean;
  senseKey: string;
  additional: string;
  filemark: boolean;
  eom: boolean;
  ili: boolean;
  /** Info field when sg printed one, with whether it called it valid. */
  information: bigint | undefined;
  infoValid: boolean;
}

export function sgDecodeSense(bytes: Uint8Array): SgSense {
  const out = execFileSync(
    'sg_decode_sense',
    [...bytes].map((b) => b.toString(16).padStart(2, '0')),
    { encoding: 'utf8' },
  );
  const head = /(Fixed|Descriptor) format, (current|<<<deferred>>>); Sense key: (.*)/.exec(out);
  if (!head) throw new Error(`unexpected sg_decode_sense output: ${out}`);
  const additional = /Additional sense: (.*)/.exec(out)?.[1]?.trim() ?? '';
  const info = /Info fld=0x([0-9a-f]+)/i.exec(out) ?? /Information: 0x([0-9a-f]+)/i.exec(out);
  return {
    format: head[1] === 'Fixed' ? 'fixed' : 'descriptor',
    current: head[2] === 'current',
    senseKey: head[3]!.trim(),
    additional,
    filemark: /\bFMK\b|FILEMARK/.test(out),
    eom: /\bEOM\b/.test(out),
    ili: /\bILI\b/.test(out),
    information: info ? BigInt(`0x${info[1]}`) : undefined,
    infoValid: !/Valid=0/.test(out),
  };
}

/** The command name `sg_decode_sense --cdb` gives a CDB. */
export function sgCdbName(cdb: Uint8Array): string {
  return execFileSync('sg_decode_sense', ['--cdb', ...[...cdb].map((b) => b.toString(16).padStart(2, '0'))], {
    encoding: 'utf8',
  }).trim();
}

/** `sg_inq --inhex` (standard INQUIRY or a VPD page with `vpd`) on the given bytes. */
export function sgInq(bytes: Uint8Array, vpd?: number): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tapir-sg-'));
  try {
    const file = path.join(dir, 'in.hex');
    writeFileSync(file, Buffer.from(bytes).toString('hex').replace(/(..)/g, '$1 '));
    const args = [`--inhex=${file}`, ...(vpd !== undefined ? [`--page=0x${vpd.toString(16)}`] : [])];
    return execFileSync('sg_inq', args, { encoding: 'utf8' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
