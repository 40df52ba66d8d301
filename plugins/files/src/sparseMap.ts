import type { FileHandle } from 'node:fs/promises';
import type { SparseExtent } from '@tapir/sdk';

const BLOCK = 4096;
const ZERO = Buffer.alloc(BLOCK);

/**
 * Finds the data regions of a file by reading it and treating all-zero 4 KiB blocks as holes, as GNU tar does
 * without SEEK_HOLE (which Node does not expose). Called only for files that occupy fewer blocks than their size.
 */
export async function findDataRegions(handle: FileHandle, size: number): Promise<SparseExtent[]> {
  const extents: SparseExtent[] = [];
  const buf = Buffer.allocUnsafe(1 << 20);
  let pos = 0;
  let current: SparseExtent | undefined;
  while (pos < size) {
    const { bytesRead } = await handle.read(buf, 0, Math.min(buf.length, size - pos), pos);
    if (bytesRead === 0) break;
    for (let off = 0; off < bytesRead; off += BLOCK) {
      const len = Math.min(BLOCK, bytesRead - off);
      const zero = buf.compare(ZERO, 0, len, off, off + len) === 0;
      if (zero) {
        current = undefined;
      } else if (current) {
        current.length += len;
      } else {
        current = { offset: pos + off, length: len };
        extents.push(current);
      }
    }
    pos += bytesRead;
  }
  return extents;
}
