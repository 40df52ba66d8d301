/** Reads a big-endian unsigned 24-bit integer. */
export function readU24(buf: Uint8Array, offset: number): number {
  return ((buf[offset] ?? 0) << 16) | ((buf[offset + 1] ?? 0) << 8) | (buf[offset + 2] ?? 0);
}

/** Writes a big-endian unsigned 24-bit integer. */
export function writeU24(buf: Uint8Array, offset: number, value: number): void {
  buf[offset] = (value >>> 16) & 0xff;
  buf[offset + 1] = (value >>> 8) & 0xff;
  buf[offset + 2] = value & 0xff;
}

/** Reads a big-endian unsigned 16-bit integer, 0 past the end. */
export function readU16(buf: Uint8Array, offset: number): number {
  return ((buf[offset] ?? 0) << 8) | (buf[offset + 1] ?? 0);
}

/** Writes a big-endian unsigned 16-bit integer. */
export function writeU16(buf: Uint8Array, offset: number, value: number): void {
  buf[offset] = (value >>> 8) & 0xff;
  buf[offset + 1] = value & 0xff;
}

/** Reads a big-endian unsigned 32-bit integer, 0 past the end. */
export function readU32(buf: Uint8Array, offset: number): number {
  return (
    (((buf[offset] ?? 0) << 24) >>> 0) +
    (((buf[offset + 1] ?? 0) << 16) | ((buf[offset + 2] ?? 0) << 8) | (buf[offset + 3] ?? 0))
  );
}

/** Writes a big-endian unsigned 32-bit integer. */
export function writeU32(buf: Uint8Array, offset: number, value: number): void {
  buf[offset] = (value >>> 24) & 0xff;
  buf[offset + 1] = (value >>> 16) & 0xff;
  buf[offset + 2] = (value >>> 8) & 0xff;
  buf[offset + 3] = value & 0xff;
}

/** Reads a big-endian unsigned 64-bit integer as a number (exact up to 2^53). */
export function readU64(buf: Uint8Array, offset: number): number {
  return readU32(buf, offset) * 0x1_0000_0000 + readU32(buf, offset + 4);
}

/** Decodes ASCII bytes, dropping trailing and leading spaces and NULs (SCSI pads text fields either way). */
export function asciiField(buf: Uint8Array, start: number, end: number): string {
  let text = '';
  for (let i = start; i < Math.min(end, buf.length); i++) {
    const c = buf[i] ?? 0;
    text += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : c === 0 ? '\0' : '?';
  }
  return text.replace(/^[\s\0]+|[\s\0]+$/g, '');
}
