import type { ByteReader } from './byte-reader.js';
import { parseTarHeader, TAR_BLOCK, type TarEntryHeader } from './tar-header.js';

/** One tar member with its data in memory (XVA members are at most 1 MiB). */
export interface TarMember extends TarEntryHeader {
  data: Buffer;
}

/** Largest member the reader buffers; XVA's biggest are 1 MiB chunks. */
const MAX_MEMBER = 64 * 1024 * 1024;

/**
 * Reads tar members until the end-of-archive block. GNU long names (`L`) and
 * pax headers (`x`, `path=`) apply to the next member.
 */
export async function* readTarMembers(reader: ByteReader): AsyncGenerator<TarMember> {
  let longName: string | undefined;
  for (;;) {
    const block = await reader.read(TAR_BLOCK);
    if (block.length === 0) throw new Error('tar stream ended without its end-of-archive blocks');
    if (block.length < TAR_BLOCK) throw new Error('tar stream ended inside a header');
    const header = parseTarHeader(block);
    if (header === undefined) return;
    if (header.size > MAX_MEMBER) throw new Error(`tar member ${header.name} too large (${header.size} bytes)`);
    const data = await reader.readExactly(header.size, `tar member ${header.name}`);
    await reader.skip((TAR_BLOCK - (header.size % TAR_BLOCK)) % TAR_BLOCK, 'tar padding');
    if (header.type === 'L') {
      longName = data.toString('utf8').replace(/\0.*$/s, '');
      continue;
    }
    if (header.type === 'x') {
      const path = /\d+ path=([^\n]*)\n/.exec(data.toString('utf8'));
      if (path) longName = path[1];
      continue;
    }
    yield { ...header, name: longName ?? header.name, data };
    longName = undefined;
  }
}
