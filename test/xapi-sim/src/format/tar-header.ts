/** Tar's block size: headers are one block, data is padded to a multiple. */
export const TAR_BLOCK = 512;

function writeOctal(block: Buffer, value: number, offset: number, length: number): void {
  block.write(value.toString(8).padStart(length - 1, '0') + '\0', offset, length, 'ascii');
}

/** A POSIX ustar header for a regular file (or a directory, type `5`). */
export function tarHeader(name: string, size: number, mtimeSeconds: number, type: '0' | '5' = '0'): Buffer {
  if (Buffer.byteLength(name) > 100) throw new RangeError(`tar member name too long: ${name}`);
  const block = Buffer.alloc(TAR_BLOCK);
  block.write(name, 0, 100, 'utf8');
  writeOctal(block, type === '5' ? 0o755 : 0o644, 100, 8);
  writeOctal(block, 0, 108, 8);
  writeOctal(block, 0, 116, 8);
  writeOctal(block, size, 124, 12);
  writeOctal(block, Math.floor(mtimeSeconds), 136, 12);
  block.fill(' ', 148, 156);
  block.write(type, 156, 1, 'ascii');
  block.write('ustar\0', 257, 6, 'ascii');
  block.write('00', 263, 2, 'ascii');
  block.write('root', 265, 32, 'ascii');
  block.write('root', 297, 32, 'ascii');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  return block;
}

/** Zero bytes that pad `size` bytes of member data to a whole block. */
export function tarPadding(size: number): Buffer {
  const rest = size % TAR_BLOCK;
  return Buffer.alloc(rest === 0 ? 0 : TAR_BLOCK - rest);
}

/** The end-of-archive marker: two zero blocks. */
export function tarEnd(): Buffer {
  return Buffer.alloc(2 * TAR_BLOCK);
}

/** A parsed tar header. */
export interface TarEntryHeader {
  name: string;
  size: number;
  type: string;
}

function readNumber(block: Buffer, offset: number, length: number): number {
  // GNU base-256 for sizes beyond the octal field.
  if ((block[offset]! & 0x80) !== 0) {
    let value = 0;
    for (let i = offset + 1; i < offset + length; i++) value = value * 256 + block[i]!;
    return value;
  }
  const text = block
    .toString('ascii', offset, offset + length)
    .replace(/\0.*$/s, '')
    .trim();
  return text === '' ? 0 : parseInt(text, 8);
}

/** Parses a header block; `undefined` for a zero block (end of archive). Throws on a bad checksum. */
export function parseTarHeader(block: Buffer): TarEntryHeader | undefined {
  if (block.every((b) => b === 0)) return undefined;
  let sum = 0;
  for (let i = 0; i < TAR_BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : block[i]!;
  if (sum !== readNumber(block, 148, 8)) throw new Error('tar header checksum mismatch');
  const name = block.toString('utf8', 0, 100).replace(/\0.*$/s, '');
  const prefix =
    block.toString('ascii', 257, 262) === 'ustar' ? block.toString('utf8', 345, 500).replace(/\0.*$/s, '') : '';
  return {
    name: prefix === '' ? name : `${prefix}/${name}`,
    size: readNumber(block, 124, 12),
    type: block.toString('ascii', 156, 157).replace('\0', '0'),
  };
}
