import type { ByteReader } from './byte-reader.js';
import { parseVhdFooter, VHD_TYPE, type VhdFooter } from './vhd-footer.js';
import { parseVhdHeader, type VhdDynamicHeader } from './vhd-header.js';

/** One allocated block of a VHD: its index, sector bitmap and data. */
export interface VhdBlock {
  index: number;
  bitmap: Buffer;
  data: Buffer;
}

/** An opened VHD stream: its metadata and its blocks in file order. */
export interface VhdStream {
  footer: VhdFooter;
  header: VhdDynamicHeader;
  blocks(): AsyncGenerator<VhdBlock>;
}

const SECTOR = 512;

/**
 * Reads a dynamic or differencing VHD forward only: footer copy, header, BAT,
 * then the allocated blocks sorted by file offset. Fixed VHDs (no leading
 * footer) are not accepted.
 */
export async function openVhdStream(reader: ByteReader): Promise<VhdStream> {
  const footer = parseVhdFooter(await reader.readExactly(SECTOR, 'VHD footer'));
  if (footer.diskType !== VHD_TYPE.dynamic && footer.diskType !== VHD_TYPE.differencing) {
    throw new Error(`unsupported VHD disk type ${footer.diskType}`);
  }
  await reader.skip(footer.dataOffset - reader.position, 'VHD (before header)');
  const header = parseVhdHeader(await reader.readExactly(1024, 'VHD header'));
  if (header.tableOffset < reader.position) throw new Error('VHD BAT before the header is not streamable');
  await reader.skip(header.tableOffset - reader.position, 'VHD (before BAT)');
  const bat = await reader.readExactly(header.maxTableEntries * 4, 'VHD BAT');
  const allocated: { index: number; offset: number }[] = [];
  for (let i = 0; i < header.maxTableEntries; i++) {
    const sector = bat.readUInt32BE(i * 4);
    if (sector !== 0xffffffff) allocated.push({ index: i, offset: sector * SECTOR });
  }
  allocated.sort((a, b) => a.offset - b.offset);
  const bitmapBytes = Math.ceil(header.blockSize / SECTOR / 8 / SECTOR) * SECTOR;
  return {
    footer,
    header,
    async *blocks() {
      for (const { index, offset } of allocated) {
        if (offset < reader.position) throw new Error(`VHD block ${index} overlaps earlier data`);
        await reader.skip(offset - reader.position, 'VHD (between blocks)');
        const bitmap = await reader.readExactly(bitmapBytes, `VHD block ${index} bitmap`);
        const data = await reader.readExactly(header.blockSize, `VHD block ${index}`);
        yield { index, bitmap, data };
      }
    },
  };
}

/** Runs of sectors present in a block's bitmap, as `[firstSector, count]`, MSB first. */
export function presentSectorRuns(bitmap: Buffer, sectors: number): [number, number][] {
  const runs: [number, number][] = [];
  let start = -1;
  for (let s = 0; s <= sectors; s++) {
    const present = s < sectors && (bitmap[s >> 3]! & (0x80 >> (s & 7))) !== 0;
    if (present && start < 0) start = s;
    if (!present && start >= 0) {
      runs.push([start, s - start]);
      start = -1;
    }
  }
  return runs;
}
