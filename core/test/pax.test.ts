import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArchiveReader } from '../src/format/ArchiveReader.js';
import { ArchiveWriter } from '../src/format/ArchiveWriter.js';
import {
  applyPax,
  decodePaxRecords,
  decodeUstar,
  encodeHeader,
  encodePaxRecords,
  TypeFlag,
} from '../src/format/pax.js';
import { parseSparseMap, sparseMapBlock } from '../src/format/sparse.js';

const base = {
  type: TypeFlag.FILE,
  size: 5,
  mode: 0o644,
  uid: 1000,
  gid: 1000,
  uname: 'alice',
  gname: 'staff',
  mtime: 1_700_000_000,
  linkname: '',
};

/** Writes members with ArchiveWriter and returns the archive bytes. */
async function archive(members: Array<{ fields: Parameters<typeof encodeHeader>[0]; data?: Buffer }>): Promise<Buffer> {
  const parts: Buffer[] = [];
  const w = new ArchiveWriter(async (chunks) => void parts.push(...chunks.map((c) => Buffer.from(c))));
  for (const m of members) await w.writeMember(m.fields, m.data ? [m.data] : []);
  await w.finish();
  return Buffer.concat(parts);
}

async function readBack(bytes: Buffer | Buffer[]) {
  const reader = new ArchiveReader(
    (async function* () {
      yield* Array.isArray(bytes) ? bytes : [bytes];
    })(),
  );
  const out: Array<{
    name: string;
    linkname: string;
    size: number;
    uid: number;
    pax: Record<string, string>;
    data: string;
    offset: number;
  }> = [];
  for (let m = await reader.next(); m; m = await reader.next()) {
    const chunks: Buffer[] = [];
    for await (const c of m.data()) chunks.push(c);
    out.push({
      name: m.header.name,
      linkname: m.header.linkname,
      size: m.header.size,
      uid: m.header.uid,
      pax: m.header.pax,
      data: Buffer.concat(chunks).toString(),
      offset: m.offset,
    });
  }
  return out;
}

describe('pax headers', () => {
  it.each([
    { case: 'short ASCII name, no pax header', name: 'etc/hosts', paxKeys: [] },
    { case: 'long name split into ustar prefix', name: `${'d'.repeat(120)}/${'f'.repeat(90)}`, paxKeys: [] },
    { case: 'name too long for ustar', name: `${'d'.repeat(200)}/${'f'.repeat(120)}`, paxKeys: ['path'] },
    { case: 'non-ASCII name', name: 'ünïcödé/日本語.txt', paxKeys: ['path'] },
    { case: 'single component over 100 bytes', name: 'x'.repeat(150), paxKeys: ['path'] },
  ])('round-trips $case', async ({ name, paxKeys }) => {
    const header = encodeHeader({ ...base, name });
    const blocks = header.length / 512;
    expect(blocks).toBe(paxKeys.length ? 3 : 1);
    const [member] = await readBack(await archive([{ fields: { ...base, name }, data: Buffer.from('hello') }]));
    expect(member).toMatchObject({ name, size: 5, uid: 1000, data: 'hello' });
    expect(Object.keys(member!.pax)).toEqual(paxKeys);
  });

  it('carries sizes of 8 GiB and more, large ids and long link targets in pax records', () => {
    const big = encodeHeader({
      ...base,
      name: 'big',
      size: 9 * 2 ** 30,
      uid: 5_000_000,
      linkname: `t/${'l'.repeat(150)}`,
    });
    const records = decodePaxRecords(big.subarray(512, 1024));
    expect(records).toEqual({ linkpath: `t/${'l'.repeat(150)}`, size: String(9 * 2 ** 30), uid: '5000000' });
    const ustar = decodeUstar(big.subarray(1024, 1536))!;
    expect(applyPax(ustar, records)).toMatchObject({
      size: 9 * 2 ** 30,
      uid: 5_000_000,
      linkname: `t/${'l'.repeat(150)}`,
    });
  });

  it('encodes pax record lengths that count their own digits', () => {
    for (const value of ['', 'a', 'x'.repeat(93), 'x'.repeat(94), 'x'.repeat(995), 'é'.repeat(400)]) {
      const body = encodePaxRecords({ path: value });
      expect(decodePaxRecords(body)).toEqual({ path: value });
      expect(Number(body.toString('latin1').split(' ')[0])).toBe(body.length);
    }
  });

  it('GNU tar lists what the writer writes, names and link targets intact', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tapir-pax-'));
    try {
      const names = ['a.txt', 'ünïcödé/日本語.txt', `${'d'.repeat(200)}/${'f'.repeat(120)}`];
      const bytes = await archive([
        ...names.map((name) => ({ fields: { ...base, name }, data: Buffer.from('hello') })),
        { fields: { ...base, name: 'link', type: TypeFlag.SYMLINK, size: 0, linkname: `target/${'t'.repeat(150)}` } },
      ]);
      writeFileSync(join(dir, 'a.tar'), bytes);
      const listing = execFileSync('tar', ['tvf', join(dir, 'a.tar')], { encoding: 'utf8' });
      for (const n of names) expect(listing).toContain(n);
      expect(listing).toContain(`link -> target/${'t'.repeat(150)}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('pax headers, many at once', () => {
  it('gives each member blocks of its own, which decode to the fields written', () => {
    // Headers are cut from shared slabs: all are kept and decoded only once the last is made, so that a block
    // handed out twice, or written after it was handed out, shows.
    let seed = 11;
    const random = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
    const cases = Array.from({ length: 300 }, (_, i) => ({
      ...base,
      name: [`f${i}`, `${'d'.repeat(random(200))}/n${i}`, `ü${i}/日本`, `${'x'.repeat(120)}${i}`][random(4)]!,
      type: [TypeFlag.FILE, TypeFlag.DIRECTORY, TypeFlag.SYMLINK][random(3)]!,
      size: [0, random(1 << 30), 9 * 2 ** 30 + i][random(3)]!,
      mode: random(0o10000),
      uid: [0, random(60_000), 3_000_000 + i][random(3)]!,
      gid: random(60_000),
      uname: ['', 'root', `user${i}`][random(3)]!,
      mtime: 1_700_000_000 + random(1e8),
      linkname: random(2) ? '' : `t/${'l'.repeat(random(150))}`,
      pax: random(3) ? {} : { 'SCHILY.xattr.user.n': String(i) },
    }));
    const headers = cases.map((h) => encodeHeader(h));
    cases.forEach((h, i) => {
      const blocks = headers[i]!;
      const last = decodeUstar(blocks.subarray(blocks.length - 512))!;
      const pax = blocks.length > 512 ? decodePaxRecords(blocks.subarray(512, blocks.length - 512)) : {};
      expect(applyPax(last, pax), `header ${i}`).toMatchObject({
        name: h.name,
        type: h.type,
        size: h.size,
        mode: h.mode,
        uid: h.uid,
        gid: h.gid,
        uname: h.uname,
        mtime: h.mtime,
        linkname: h.linkname,
      });
    });
  });
});

describe('GNU sparse 1.0 maps', () => {
  it.each([
    { extents: [{ offset: 4096, length: 100 }], size: 1 << 20 },
    { extents: [], size: 10 },
    { extents: Array.from({ length: 200 }, (_, i) => ({ offset: i * 8192, length: 4096 })), size: 200 * 8192 },
  ])('round-trips $extents.length regions (a map past one block included)', ({ extents, size }) => {
    const block = sparseMapBlock(extents, size);
    expect(block.length % 512).toBe(0);
    const parsed = parseSparseMap(block);
    expect(parsed.extents).toEqual(extents);
    expect(parsed.mapBytes).toBe(block.length);
  });
});

describe('reading damaged archives', () => {
  it('reads members across arbitrary chunk boundaries', async () => {
    const bytes = await archive([
      { fields: { ...base, name: 'one' }, data: Buffer.from('11111') },
      { fields: { ...base, name: 'two', size: 3 }, data: Buffer.from('222') },
    ]);
    const pieces: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += 7) pieces.push(bytes.subarray(i, i + 7));
    expect((await readBack(pieces)).map((m) => [m.name, m.data, m.offset])).toEqual([
      ['one', '11111', 0],
      ['two', '222', 1024],
    ]);
  });

  it('fails with TAPIR_E_FORMAT, never a crash or a hang, on truncated and flipped input', async () => {
    const bytes = await archive([
      { fields: { ...base, name: 'ünïcödé/one' }, data: Buffer.from('11111') },
      { fields: { ...base, name: 'two', size: 3 }, data: Buffer.from('222') },
    ]);
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
    const errors = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const damaged = Buffer.from(bytes.subarray(0, random() % (bytes.length + 1)));
      for (let f = 0; f < 1 + (i % 4); f++)
        if (damaged.length) damaged[random() % damaged.length] ^= 1 << (random() % 8);
      try {
        await readBack(damaged);
      } catch (error) {
        errors.add((error as { code?: string }).code ?? `uncoded: ${(error as Error).message}`);
      }
    }
    expect([...errors]).toEqual(['TAPIR_E_FORMAT']);
  });
});
