import { createHash } from 'node:crypto';
import type { VirtualDisk } from '../storage/virtual-disk.js';
import { buildOvaXml, type OvaObject, type OvaVersion } from './ova-xml.js';
import { tarEnd, tarHeader, tarPadding } from './tar-header.js';

/** XVA disk chunks are 1 MiB. */
export const XVA_CHUNK = 1024 * 1024;

/** A disk to put into an XVA under `Ref:N/`. */
export interface XvaDisk {
  id: string;
  disk: VirtualDisk;
}

const ZERO_CHUNK = Buffer.alloc(XVA_CHUNK);

function member(name: string, data: Buffer, mtime: number): Buffer[] {
  return [tarHeader(name, data.length, mtime), data, tarPadding(data.length)];
}

/**
 * Streams an XVA (export_vsn 2): `ova.xml` first, then for each disk its
 * 1 MiB chunks `Ref:N/%08d`, each followed by `.checksum` (lowercase SHA-1
 * hex, the form Debian's xva-img reads). All-zero chunks are left out except
 * the first and the last, which mark the disk's extent.
 */
export async function* writeXva(
  version: OvaVersion,
  objects: readonly OvaObject[],
  disks: readonly XvaDisk[],
): AsyncGenerator<Buffer> {
  const mtime = Date.now() / 1000;
  yield* member('ova.xml', Buffer.from(buildOvaXml(version, objects), 'utf8'), mtime);
  for (const { id, disk } of disks) {
    const chunks = Math.max(1, Math.ceil(disk.size / XVA_CHUNK));
    for (let k = 0; k < chunks; k++) {
      const data = await disk.read(k * XVA_CHUNK, XVA_CHUNK);
      const isEdge = k === 0 || k === chunks - 1;
      if (!isEdge && data.length === XVA_CHUNK && data.equals(ZERO_CHUNK)) continue;
      const name = `${id}/${k.toString().padStart(8, '0')}`;
      yield Buffer.concat(member(name, data, mtime));
      const checksum = Buffer.from(createHash('sha1').update(data).digest('hex'), 'ascii');
      yield Buffer.concat(member(`${name}.checksum`, checksum, mtime));
    }
  }
  yield tarEnd();
}
