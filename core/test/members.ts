import { ArchiveReader } from '../dist/format/ArchiveReader.js';

/** The members of an archive written to `archive`, in order: each name with its data. */
export async function membersOf(archive: Buffer[]): Promise<Array<{ name: string; data: Buffer }>> {
  const reader = new ArchiveReader(
    (async function* () {
      yield* archive;
    })(),
  );
  const members: Array<{ name: string; data: Buffer }> = [];
  for (let m = await reader.next(); m; m = await reader.next()) {
    const parts: Buffer[] = [];
    for await (const part of m.data()) parts.push(part);
    members.push({ name: m.header.name, data: Buffer.concat(parts) });
  }
  return members;
}
