/**
 * POSIX pax (ustar + extended header) encoding and decoding of single member headers.
 * Layout and keywords: POSIX.1-2017 `pax` "Extended header keywords"; GNU sparse format 1.0.
 */
import { TapirError } from '@tapir/sdk';

export const BLOCK = 512;

/** Ustar type flags tapir writes or reads. */
export const TypeFlag = {
  FILE: '0',
  HARDLINK: '1',
  SYMLINK: '2',
  DIRECTORY: '5',
  PAX: 'x',
  PAX_GLOBAL: 'g',
} as const;

/** One archive member's header, after pax records have been applied. */
export interface MemberHeader {
  name: string;
  type: string;
  /** Bytes of member data that follow the header (before padding). */
  size: number;
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  /** Seconds since the epoch (may carry a fraction when written by a pax mtime record). */
  mtime: number;
  linkname: string;
  /** Every pax record of the member, including vendor ones (`TAPIR.*`, `GNU.sparse.*`, `SCHILY.xattr.*`). */
  pax: Record<string, string>;
}

const USTAR_MAX_SIZE = 0o77777777777; // 11 octal digits
const USTAR_MAX_ID = 0o7777777;

/** Encodes a member header (with a preceding pax extended header when needed) into 512-byte blocks. */
export function encodeHeader(h: Omit<MemberHeader, 'pax'> & { pax?: Record<string, string> }): Buffer {
  const pax: Record<string, string> = { ...(h.pax ?? {}) };
  let name = h.name;
  let prefix = '';
  const split = splitUstarName(h.name);
  if (split) {
    [prefix, name] = split;
  } else {
    pax.path = h.name;
    name = asciiFallback(h.name, 100);
  }
  let linkname = h.linkname;
  if (Buffer.byteLength(linkname) > 100 || !isAscii(linkname)) {
    pax.linkpath = linkname;
    linkname = asciiFallback(linkname, 100);
  }
  if (h.size > USTAR_MAX_SIZE) pax.size = String(h.size);
  if (h.uid > USTAR_MAX_ID) pax.uid = String(h.uid);
  if (h.gid > USTAR_MAX_ID) pax.gid = String(h.gid);
  if (!isAscii(h.uname) || h.uname.length > 31) pax.uname = h.uname;
  if (!isAscii(h.gname) || h.gname.length > 31) pax.gname = h.gname;
  const mtimeSec = Math.floor(h.mtime);
  if (mtimeSec < 0 || mtimeSec > USTAR_MAX_SIZE) pax.mtime = String(h.mtime);

  const keys = Object.keys(pax);
  const body = keys.length > 0 ? encodePaxRecords(pax) : undefined;
  const out = headerBlocks(body ? 2 + Math.ceil(body.length / BLOCK) : 1);
  if (body) {
    ustarBlock(out, 0, {
      name: asciiFallback(`PaxHeaders/${h.name.split('/').pop() ?? ''}`, 100),
      prefix: '',
      type: TypeFlag.PAX,
      size: body.length,
      mode: 0o644,
      uid: 0,
      gid: 0,
      uname: '',
      gname: '',
      mtime: clampId(mtimeSec, USTAR_MAX_SIZE),
      linkname: '',
    });
    body.copy(out, BLOCK);
  }
  ustarBlock(out, out.length - BLOCK, {
    name,
    prefix,
    type: h.type,
    size: Math.min(h.size, USTAR_MAX_SIZE),
    mode: h.mode & 0o7777,
    uid: clampId(h.uid, USTAR_MAX_ID),
    gid: clampId(h.gid, USTAR_MAX_ID),
    uname: isAscii(h.uname) ? h.uname.slice(0, 31) : '',
    gname: isAscii(h.gname) ? h.gname.slice(0, 31) : '',
    mtime: clampId(mtimeSec, USTAR_MAX_SIZE),
    linkname,
  });
  return out;
}

/**
 * Zero-filled blocks for one member's header, cut from a slab that is zero-filled once and never written again
 * once cut: a header handed to the writer stays valid for as long as it is referenced. One `Buffer.alloc` per
 * header, and a `Buffer.concat` when it had a pax header, had cost ~4 µs of the main thread per small file.
 */
function headerBlocks(count: number): Buffer {
  const bytes = count * BLOCK;
  if (bytes > SLAB / 4) return Buffer.alloc(bytes);
  if (slabUsed + bytes > SLAB) {
    slab = Buffer.alloc(SLAB);
    slabUsed = 0;
  }
  const out = slab.subarray(slabUsed, slabUsed + bytes);
  slabUsed += bytes;
  return out;
}

const SLAB = 64 * BLOCK;
let slab = Buffer.alloc(SLAB);
let slabUsed = 0;

/** Encodes pax records (`"%d %s=%s\n"`, the length counting itself). */
export function encodePaxRecords(records: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  for (const [key, value] of Object.entries(records)) {
    const payload = Buffer.from(` ${key}=${value}\n`);
    let len = payload.length + 1;
    while (String(len).length + payload.length !== len) len = String(len).length + payload.length;
    parts.push(Buffer.from(String(len)), payload);
  }
  return Buffer.concat(parts);
}

/** Decodes pax records; throws TAPIR_E_FORMAT on malformed input. */
export function decodePaxRecords(body: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let pos = 0;
  while (pos < body.length) {
    if (body[pos] === 0) break;
    const space = body.indexOf(0x20, pos);
    if (space < 0) throw new TapirError('TAPIR_E_FORMAT', 'malformed pax record: no length');
    const len = Number(body.toString('latin1', pos, space));
    if (!Number.isInteger(len) || len <= space - pos || pos + len > body.length) {
      throw new TapirError('TAPIR_E_FORMAT', 'malformed pax record: bad length');
    }
    const record = body.subarray(space + 1, pos + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq < 0) throw new TapirError('TAPIR_E_FORMAT', 'malformed pax record: no "="');
    out[record.slice(0, eq)] = record.slice(eq + 1);
    pos += len;
  }
  return out;
}

interface UstarFields {
  name: string;
  prefix: string;
  type: string;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  mtime: number;
  linkname: string;
}

/**
 * Writes one ustar block at `at` of `b`, which is zero there. Every string field is printable ASCII by now (names
 * that are not go into pax records, with an ASCII stand-in here), so it is written byte by byte, cut at its field's
 * length as `Buffer.write` would cut it.
 */
function ustarBlock(b: Buffer, at: number, f: UstarFields): void {
  writeAscii(b, f.name, at, 100);
  writeOctal(b, f.mode, at + 100, 8);
  writeOctal(b, f.uid, at + 108, 8);
  writeOctal(b, f.gid, at + 116, 8);
  writeOctal(b, f.size, at + 124, 12);
  writeOctal(b, f.mtime, at + 136, 12);
  writeAscii(b, f.type, at + 156, 1);
  writeAscii(b, f.linkname, at + 157, 100);
  writeAscii(b, 'ustar\x0000', at + 257, 8);
  writeAscii(b, f.uname, at + 265, 32);
  writeAscii(b, f.gname, at + 297, 32);
  writeAscii(b, f.prefix, at + 345, 155);
  writeOctal(b, checksum(b, at), at + 148, 7);
  b[at + 155] = 0x20;
}

function writeAscii(b: Buffer, s: string, at: number, length: number): void {
  const n = Math.min(s.length, length);
  for (let i = 0; i < n; i++) b[at + i] = s.charCodeAt(i);
}

/** Decodes one 512-byte ustar block. Returns null for an all-zero block (end of archive). */
export function decodeUstar(b: Buffer): Omit<MemberHeader, 'pax'> | null {
  if (b.length !== BLOCK) throw new TapirError('TAPIR_E_FORMAT', 'truncated tar header');
  if (b.every((x) => x === 0)) return null;
  const stored = readOctal(b, 148, 8);
  if (stored !== checksum(b)) throw new TapirError('TAPIR_E_FORMAT', 'tar header checksum mismatch');
  const name = readString(b, 0, 100);
  const magic = b.toString('latin1', 257, 262);
  const prefix = magic === 'ustar' ? readString(b, 345, 155) : '';
  return {
    name: prefix ? `${prefix}/${name}` : name,
    type: b.toString('latin1', 156, 157) || TypeFlag.FILE,
    size: readOctal(b, 124, 12),
    mode: readOctal(b, 100, 8),
    uid: readOctal(b, 108, 8),
    gid: readOctal(b, 116, 8),
    mtime: readOctal(b, 136, 12),
    linkname: readString(b, 157, 100),
    uname: readString(b, 265, 32),
    gname: readString(b, 297, 32),
  };
}

/** Applies pax records to a decoded ustar header. */
export function applyPax(h: Omit<MemberHeader, 'pax'>, pax: Record<string, string>): MemberHeader {
  const num = (key: string, fallback: number) => (pax[key] !== undefined ? Number(pax[key]) : fallback);
  return {
    ...h,
    name: pax.path ?? h.name,
    linkname: pax.linkpath ?? h.linkname,
    size: num('size', h.size),
    uid: num('uid', h.uid),
    gid: num('gid', h.gid),
    mtime: num('mtime', h.mtime),
    uname: pax.uname ?? h.uname,
    gname: pax.gname ?? h.gname,
    pax,
  };
}

/** Zero padding needed after `size` bytes of member data. */
export function paddingFor(size: number): number {
  const r = size % BLOCK;
  return r === 0 ? 0 : BLOCK - r;
}

export function padBlock(data: Buffer): Buffer {
  const pad = paddingFor(data.length);
  return pad === 0 ? data : Buffer.concat([data, Buffer.alloc(pad)]);
}

function splitUstarName(name: string): [string, string] | null {
  if (!isAscii(name)) return null;
  if (name.length <= 100) return ['', name];
  // Split at a slash so that prefix ≤ 155 and name ≤ 100.
  for (let i = name.length - 1; i > 0; i--) {
    if (name[i] !== '/') continue;
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (rest.length > 100 || rest.length === 0) return null;
    if (prefix.length <= 155) return [prefix, rest];
  }
  return null;
}

function isAscii(s: string): boolean {
  return /^[\x20-\x7e]*$/.test(s);
}

function asciiFallback(s: string, max: number): string {
  const ascii = s.replace(/[^\x20-\x7e]/g, '_');
  return ascii.length <= max ? ascii : ascii.slice(ascii.length - max);
}

function clampId(n: number, max: number): number {
  return n < 0 ? 0 : Math.min(n, max);
}

/** `value` in octal, zero-padded to `length - 1` digits and NUL-terminated (values are clamped to fit). */
function writeOctal(b: Buffer, value: number, offset: number, length: number): void {
  let v = value;
  for (let i = offset + length - 2; i >= offset; i--) {
    b[i] = 0x30 + (v % 8);
    v = Math.floor(v / 8);
  }
  b[offset + length - 1] = 0;
}

function readOctal(b: Buffer, offset: number, length: number): number {
  const first = b[offset] ?? 0;
  if (first & 0x80) {
    // GNU base-256 encoding for large values.
    let v = 0;
    for (let i = 1; i < length; i++) v = v * 256 + (b[offset + i] ?? 0);
    return v;
  }
  const s = b
    .toString('latin1', offset, offset + length)
    .replace(/[\x00 ]+$/g, '')
    .trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s))
    throw new TapirError('TAPIR_E_FORMAT', `bad octal field in tar header: ${JSON.stringify(s)}`);
  return parseInt(s, 8);
}

function readString(b: Buffer, offset: number, length: number): string {
  const end = b.indexOf(0, offset);
  return b.toString('utf8', offset, end < 0 || end > offset + length ? offset + length : end);
}

/** The header checksum of the block at `at` of `b`: its bytes summed, the checksum field counted as spaces. */
function checksum(b: Buffer, at = 0): number {
  let sum = 8 * 0x20;
  for (let i = at; i < at + 148; i++) sum += b[i]!;
  for (let i = at + 156; i < at + BLOCK; i++) sum += b[i]!;
  return sum;
}
