import type { VirtualDisk } from '../storage/virtual-disk.js';
import { buildVhdFooter, VHD_TYPE } from './vhd-footer.js';
import { buildVhdHeader, VHD_BLOCK_SIZE } from './vhd-header.js';

/** What kind of VHD to stream. */
export interface VhdStreamOptions {
  /** The VHD's own UUID (XAPI uses the VDI's). */
  uuid: Buffer;
  /** A delta is a differencing disk naming its parent; a full export is dynamic. */
  parent?: { uuid: Buffer; name: string };
}

const SECTOR = 512;
const FULL_BITMAP = Buffer.alloc(SECTOR, 0xff);

/**
 * Streams a VHD in the forward-only order XAPI's exports use: footer copy,
 * dynamic header, BAT, the listed 2 MiB blocks in ascending order (each a
 * 512-byte sector bitmap with every sector present, then the data), footer.
 */
export async function* writeVhd(
  disk: VirtualDisk,
  blocks: readonly number[],
  options: VhdStreamOptions,
): AsyncGenerator<Buffer> {
  const entries = Math.ceil(disk.size / VHD_BLOCK_SIZE);
  const tableOffset = 512 + 1024;
  const batBytes = Math.ceil((entries * 4) / SECTOR) * SECTOR;
  const firstBlockSector = (tableOffset + batBytes) / SECTOR;
  const sectorsPerBlock = 1 + VHD_BLOCK_SIZE / SECTOR;
  const sorted = [...new Set(blocks)].filter((b) => b >= 0 && b < entries).sort((a, b) => a - b);

  const footer = buildVhdFooter({
    diskType: options.parent === undefined ? VHD_TYPE.dynamic : VHD_TYPE.differencing,
    currentSize: disk.size,
    dataOffset: 512,
    uuid: options.uuid,
  });
  const bat = Buffer.alloc(batBytes, 0xff);
  sorted.forEach((block, i) => bat.writeUInt32BE(firstBlockSector + i * sectorsPerBlock, block * 4));
  yield Buffer.concat([
    footer,
    buildVhdHeader({
      tableOffset,
      maxTableEntries: entries,
      blockSize: VHD_BLOCK_SIZE,
      parentUuid: options.parent?.uuid ?? Buffer.alloc(16),
      parentName: options.parent?.name ?? '',
    }),
    bat,
  ]);
  for (const block of sorted) {
    const data = await disk.read(block * VHD_BLOCK_SIZE, VHD_BLOCK_SIZE);
    yield FULL_BITMAP;
    yield data;
    if (data.length < VHD_BLOCK_SIZE) yield Buffer.alloc(VHD_BLOCK_SIZE - data.length);
  }
  yield footer;
}
