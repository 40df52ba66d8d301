/** VHD disk types (footer @60). */
export const VHD_TYPE = { fixed: 2, dynamic: 3, differencing: 4 } as const;

/** Seconds between the Unix epoch and the VHD epoch, 2000-01-01 UTC. */
const VHD_EPOCH = 946_684_800;

/** What a VHD footer says. */
export interface VhdFooter {
  diskType: number;
  currentSize: number;
  dataOffset: number;
  uuid: Buffer;
  timestamp: number;
  creatorApp: string;
}

/** One's complement of the byte sum, skipping the 4-byte checksum field at `skip`. */
export function vhdChecksum(data: Buffer, skip: number): number {
  let sum = 0;
  for (let i = 0; i < data.length; i++) if (i < skip || i >= skip + 4) sum += data[i]!;
  return ~sum >>> 0;
}

/** CHS geometry from the VHD specification's algorithm. */
function geometry(size: number): { cylinders: number; heads: number; sectors: number } {
  let total = Math.min(Math.floor(size / 512), 65535 * 16 * 255);
  let sectors: number;
  let heads: number;
  let cylTimesHeads: number;
  if (total >= 65535 * 16 * 63) {
    sectors = 255;
    heads = 16;
    cylTimesHeads = Math.floor(total / sectors);
  } else {
    sectors = 17;
    cylTimesHeads = Math.floor(total / sectors);
    heads = Math.max(4, Math.floor((cylTimesHeads + 1023) / 1024));
    if (cylTimesHeads >= heads * 1024 || heads > 16) {
      sectors = 31;
      heads = 16;
      cylTimesHeads = Math.floor(total / sectors);
    }
    if (cylTimesHeads >= heads * 1024) {
      sectors = 63;
      heads = 16;
      cylTimesHeads = Math.floor(total / sectors);
    }
  }
  total = cylTimesHeads;
  return { cylinders: Math.floor(total / heads), heads, sectors };
}

/**
 * A 512-byte footer. The creator application is `tap\0` (blktap's), for which
 * qemu-img trusts the current size instead of rounding to the CHS geometry.
 */
export function buildVhdFooter(footer: Omit<VhdFooter, 'creatorApp' | 'timestamp'> & { timestamp?: number }): Buffer {
  const b = Buffer.alloc(512);
  b.write('conectix', 0, 'ascii');
  b.writeUInt32BE(2, 8);
  b.writeUInt32BE(0x00010000, 12);
  if (footer.diskType === VHD_TYPE.fixed) b.fill(0xff, 16, 24);
  else b.writeBigUInt64BE(BigInt(footer.dataOffset), 16);
  const timestamp = footer.timestamp ?? Math.max(0, Math.floor(Date.now() / 1000) - VHD_EPOCH);
  b.writeUInt32BE(timestamp >>> 0, 24);
  b.write('tap\0', 28, 'latin1');
  b.writeUInt32BE(0x00010003, 32);
  b.write('Wi2k', 36, 'ascii');
  b.writeBigUInt64BE(BigInt(footer.currentSize), 40);
  b.writeBigUInt64BE(BigInt(footer.currentSize), 48);
  const g = geometry(footer.currentSize);
  b.writeUInt16BE(g.cylinders, 56);
  b.writeUInt8(g.heads, 58);
  b.writeUInt8(g.sectors, 59);
  b.writeUInt32BE(footer.diskType, 60);
  footer.uuid.copy(b, 68, 0, 16);
  b.writeUInt32BE(vhdChecksum(b, 64), 64);
  return b;
}

/** Parses and checks a footer. */
export function parseVhdFooter(b: Buffer): VhdFooter {
  if (b.length < 512 || b.toString('ascii', 0, 8) !== 'conectix')
    throw new Error('not a VHD footer (no conectix cookie)');
  if (b.readUInt32BE(64) !== vhdChecksum(b.subarray(0, 512), 64)) throw new Error('VHD footer checksum mismatch');
  return {
    diskType: b.readUInt32BE(60),
    currentSize: Number(b.readBigUInt64BE(48)),
    dataOffset: b.readUInt32BE(16) === 0xffffffff ? -1 : Number(b.readBigUInt64BE(16)),
    uuid: Buffer.from(b.subarray(68, 84)),
    timestamp: b.readUInt32BE(24),
    creatorApp: b.toString('latin1', 28, 32),
  };
}
