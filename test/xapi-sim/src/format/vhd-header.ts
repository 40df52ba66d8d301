import { vhdChecksum } from './vhd-footer.js';

/** XAPI's VHD block size. */
export const VHD_BLOCK_SIZE = 2 * 1024 * 1024;

/** What a dynamic disk header says. */
export interface VhdDynamicHeader {
  tableOffset: number;
  maxTableEntries: number;
  blockSize: number;
  parentUuid: Buffer;
  parentName: string;
}

/** A 1024-byte dynamic disk header (`cxsparse`). */
export function buildVhdHeader(h: VhdDynamicHeader): Buffer {
  const b = Buffer.alloc(1024);
  b.write('cxsparse', 0, 'ascii');
  b.fill(0xff, 8, 16);
  b.writeBigUInt64BE(BigInt(h.tableOffset), 16);
  b.writeUInt32BE(0x00010000, 24);
  b.writeUInt32BE(h.maxTableEntries, 28);
  b.writeUInt32BE(h.blockSize, 32);
  h.parentUuid.copy(b, 40, 0, 16);
  const name = Buffer.from(h.parentName, 'utf16le').swap16();
  name.copy(b, 64, 0, Math.min(name.length, 512));
  b.writeUInt32BE(vhdChecksum(b, 36), 36);
  return b;
}

/** Parses and checks a dynamic disk header. */
export function parseVhdHeader(b: Buffer): VhdDynamicHeader {
  if (b.toString('ascii', 0, 8) !== 'cxsparse') throw new Error('not a VHD dynamic header (no cxsparse cookie)');
  if (b.readUInt32BE(36) !== vhdChecksum(b.subarray(0, 1024), 36)) throw new Error('VHD header checksum mismatch');
  const nameRaw = Buffer.from(b.subarray(64, 576)).swap16().toString('utf16le');
  return {
    tableOffset: Number(b.readBigUInt64BE(16)),
    maxTableEntries: b.readUInt32BE(28),
    blockSize: b.readUInt32BE(32),
    parentUuid: Buffer.from(b.subarray(40, 56)),
    parentName: nameRaw.replace(/\0.*$/s, ''),
  };
}
