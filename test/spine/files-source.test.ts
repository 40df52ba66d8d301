import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTapirHooks, type RunContext, type SourceItem, type SourceKind } from '@tapir/sdk';
import { zstdTransformKind } from '../../core/dist/builtins/zstdTransform.js';
import { itemEncoderFor } from '../../core/dist/pipeline/itemEncoder.js';
import { FilesSource } from '../../plugins/files/dist/FilesSource.js';
import files from '../../plugins/files/dist/plugin.js';
import { spareScanThread } from '../../plugins/files/dist/scanThreads.js';
import { cli, scratch } from '../helpers/cli.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

// One scratch directory and tapir home for the whole file; each test works in directories of its own names.
let s: Awaited<ReturnType<typeof scratch>>;
beforeAll(async () => {
  s = await scratch();
});
afterAll(() => s.dispose());

/** A run context for sources opened directly; warnings and logs go nowhere. */
const ctx = (): RunContext => {
  const log = { debug() {}, info() {}, warn() {}, error() {}, child: () => log } as unknown as RunContext['log'];
  return { job: 'test', signal: new AbortController().signal, log, warn: () => {} };
};

describe('the files source: what changes or cannot be stored is reported, not fatal', () => {
  it('a file that grows while it is read: FILE_CHANGED, status warning, and the bytes read verify and restore', async () => {
    const tree = join(s.dir, 'growing');
    await mkdir(tree);
    const steady = randomBytes(300_000);
    await writeFile(join(tree, 'steady.bin'), steady);
    const log = join(tree, 'log.bin');
    await writeFile(log, randomBytes(64 << 20));
    // Another process appends to the file for as long as the backup runs; stopped by its pid.
    const writer = spawn('sh', ['-c', `while :; do printf 0123456789abcdef >> '${log}'; done`], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 100));
      const r = await cli(['backup', tree, '--to', join(s.dir, 'd1'), '--compression', 'none', '--json'], {
        home: s.home,
      });
      expect(r.code, r.stderr).toBe(0);
      expect(r.json.status).toBe('warning');
      const logItem = log.slice(1);
      expect(r.json.warnings).toEqual(
        expect.arrayContaining([expect.objectContaining({ code: 'FILE_CHANGED', item: logItem })]),
      );
      const id = r.json.saveSets[0].saveSet;
      expect((await cli(['verify', id, '--json'], { home: s.home })).code).toBe(0);
      const target = join(s.dir, 'r1');
      expect((await cli(['restore', id, '--to', target, '--json'], { home: s.home })).code).toBe(0);
      expect(sha(await readFile(join(target, tree.slice(1), 'steady.bin')))).toBe(sha(steady));
      // What was read is a prefix of the file as it is now: the data as of the scan, not a mix.
      const restored = await readFile(join(target, logItem));
      expect(restored.length).toBeGreaterThanOrEqual(64 << 20);
      const now = await readFile(log);
      expect(sha(now.subarray(0, restored.length))).toBe(sha(restored));
    } finally {
      writer.kill('SIGKILL');
    }
  });

  it('a FIFO inside the tree is left out with a warning; named as the root, it fails the run naming it', async () => {
    const tree = join(s.dir, 'special');
    await mkdir(tree);
    await writeFile(join(tree, 'a.txt'), 'a');
    const fifo = join(tree, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const r = await cli(['backup', tree, '--to', join(s.dir, 'd2'), '--json'], { home: s.home });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.status).toBe('warning');
    expect(r.json.warnings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          code: 'FILE_UNREADABLE',
          item: fifo.slice(1),
          message: expect.stringContaining('sockets, FIFOs and device nodes are not backed up'),
        }),
      ]),
    );
    const items = await cli(['catalog', 'items', r.json.saveSets[0].saveSet, '--json'], {
      home: s.home,
    });
    const paths = (items.json.items as Array<{ path: string }>).map((i) => i.path);
    expect(paths).toContain(join(tree, 'a.txt').slice(1));
    expect(paths).not.toContain(fifo.slice(1));

    const dest = join(s.dir, 'd3');
    const root = await cli(['backup', fifo, '--to', dest, '--json'], { home: s.home });
    expect(root.code).not.toBe(0);
    expect(root.stdout + root.stderr).toContain('TAPIR_E_SOURCE_UNAVAILABLE');
    expect(root.stdout + root.stderr).toContain(`${fifo}: sockets, FIFOs and device nodes are not backed up`);
    const failed = await cli(['catalog', 'save-sets', '--json'], { home: s.home });
    const last = (failed.json.saveSets as Array<{ object: string; status: string }>).find(
      (x) => x.object === `files:${fifo}`,
    );
    expect(last?.status).toBe('failed');
    await expect(stat(dest).then((d) => d.isDirectory())).resolves.toBe(true);
    expect(execFileSync('ls', ['-A', dest], { encoding: 'utf8' }).trim()).toBe('');
  });
});

describe('the files source: small files encoded on its scan thread', () => {
  it('hands over files up to 256 KiB encoded when tapir offers an item encoder, and reads the rest as before', async () => {
    const tree = join(s.dir, 'encoded');
    await mkdir(tree);
    const small = randomBytes(10_000);
    const edge = Buffer.alloc(256 * 1024, 'a');
    const large = randomBytes(256 * 1024 + 1);
    await writeFile(join(tree, 'empty'), Buffer.alloc(0));
    await writeFile(join(tree, 'small'), small);
    await writeFile(join(tree, 'edge'), edge);
    await writeFile(join(tree, 'large'), large);
    const zstd = await zstdTransformKind.create({ level: 1 });
    const encoder = itemEncoderFor('blake3', [zstd])!;
    const source = new FilesSource({ paths: [tree] });
    const seen = new Map<string, SourceItem>();
    for await (const item of source.items(ctx(), { itemEncoder: encoder.spec })) seen.set(item.path, item);
    const at = (name: string) => seen.get(join(tree, name).slice(1))!;
    for (const [name, data] of [
      ['empty', Buffer.alloc(0)],
      ['small', small],
      ['edge', edge],
    ] as const) {
      const { encoded } = at(name);
      expect(encoded?.encoder, name).toBe(encoder.id);
      expect(encoded?.size, name).toBe(data.length);
      expect(encoded?.hash, name).toBe(execFileSync('b3sum', ['--no-names'], { input: data, encoding: 'utf8' }).trim());
      expect(Buffer.from(execFileSync('zstd', ['-d', '-c'], { input: encoded!.data })).equals(data), name).toBe(true);
    }
    expect(at('large').encoded).toBeUndefined();
    expect(seen.get(tree.slice(1))?.encoded).toBeUndefined();

    // Without the offer (incremental save sets), nothing is encoded ahead.
    for await (const item of new FilesSource({ paths: [tree] }).items(ctx())) expect(item.encoded).toBeUndefined();
    await zstd.close?.();
  });

  it('keeps every small file intact across many batches: read into the batch, encoded, or hashed only', async () => {
    // 400 files of 1 byte to 256 KiB: batches end by count and by bytes, and every batch's buffer is sized from
    // the one before it. The items are all taken first and checked afterwards, so that a buffer written again
    // while its items are still held shows.
    const tree = join(s.dir, 'batches');
    await mkdir(tree);
    const contents = new Map<string, Buffer>();
    for (let i = 0; i < 400; i++) {
      const size = i % 40 === 0 ? 256 * 1024 : i % 7 === 0 ? 1 : 1 + ((i * 7919) % 60_000);
      const data = i % 2 ? randomBytes(size) : Buffer.alloc(size, `text ${i} `);
      const name = `f${String(i).padStart(3, '0')}`;
      await writeFile(join(tree, name), data);
      contents.set(join(tree, name).slice(1), data);
    }
    const zstd = await zstdTransformKind.create({ level: 1 });
    for (const [label, encoder] of [
      ['zstd', itemEncoderFor('blake3', [zstd])],
      ['hash only', itemEncoderFor('blake3', [])],
      ['no encoder', undefined],
    ] as const) {
      const items: SourceItem[] = [];
      const source = new FilesSource({ paths: [tree] });
      for await (const item of source.items(ctx(), encoder ? { itemEncoder: encoder.spec } : {}))
        if (item.type === 'file') items.push(item);
      expect(items.length, label).toBe(400);
      for (const item of items) {
        const want = contents.get(item.path)!;
        let got: Buffer;
        if (encoder) {
          expect(item.encoded?.encoder, `${label} ${item.path}`).toBe(encoder.id);
          expect(item.encoded?.size).toBe(want.length);
          const data = Buffer.from(item.encoded!.data);
          got = label === 'zstd' ? Buffer.from(execFileSync('zstd', ['-d', '-c'], { input: data })) : data;
        } else {
          const chunks: Uint8Array[] = [];
          for await (const chunk of item.open!(new AbortController().signal)) chunks.push(chunk);
          got = Buffer.concat(chunks);
        }
        expect(sha(got), `${label} ${item.path}`).toBe(sha(want));
      }
    }
    await zstd.close?.();
  });
});

describe('the files source: a scan thread started ahead (the prepare hint)', () => {
  const listing = async (source: FilesSource) => {
    const out: string[] = [];
    for await (const item of source.items(ctx())) {
      let data = Buffer.alloc(0);
      if (item.open)
        for await (const chunk of item.open(new AbortController().signal)) data = Buffer.concat([data, chunk]);
      out.push(`${item.path} ${item.type} ${item.size ?? '-'} ${sha(data)}`);
    }
    return out;
  };

  it('is taken by the next source, which yields what a source with its own thread yields; one that died is replaced', async () => {
    const tree = join(s.dir, 'tree');
    await mkdir(join(tree, 'sub'), { recursive: true });
    await writeFile(join(tree, 'a.txt'), 'alpha');
    await writeFile(join(tree, 'sub/b.bin'), randomBytes(300_000));
    const own = await listing(new FilesSource({ paths: [tree] }));
    expect(own.length).toBe(4 + tree.split('/').length - 2);

    // Through the plugin, as tapir gives the hint: the kind's prepare() starts one thread, a second call no other.
    const hooks = createTapirHooks();
    await files.apply(hooks, { config: {}, log: ctx().log, home: s.home });
    const kind = hooks.sources.for('files').call() as SourceKind;
    kind.prepare!();
    const spare = spareScanThread();
    expect(spare).toBeDefined();
    kind.prepare!();
    expect(spareScanThread()).toBe(spare);
    expect(await listing(new FilesSource({ paths: [tree] }))).toEqual(own);
    expect(spareScanThread()).toBeUndefined();

    // A spare whose thread ended before a source came is dropped, and the source starts its own.
    kind.prepare!();
    await spareScanThread()!.terminate();
    await new Promise((r) => setImmediate(r));
    expect(spareScanThread()).toBeUndefined();
    expect(await listing(new FilesSource({ paths: [tree] }))).toEqual(own);
  });

  it('does not keep a process alive that never backs up', async () => {
    // The spare is started and waits: the process ends all the same, with the thread still there.
    const script = join(s.dir, 'prepare-only.mjs');
    await writeFile(
      script,
      `import { prepareScanThread, spareScanThread } from ${JSON.stringify(join(process.cwd(), 'plugins/files/dist/scanThreads.js'))};
prepareScanThread();
process.on('exit', () => console.log(spareScanThread() ? 'spare waiting' : 'no spare'));`,
    );
    const r = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 20_000 });
    expect(r.signal).toBeNull();
    expect([r.status, r.stdout.trim(), r.stderr]).toEqual([0, 'spare waiting', '']);
  });
});
