import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChunkBuffers, definePlugin, type SourceItem, type SourceKind, type TransformKind } from '@tapir/sdk';
import { checkPlugin } from '@tapir/sdk/testing';
import disk from '../../plugins/disk/src/index.js';
import files from '../../plugins/files/src/index.js';
import { REPO, scratch } from '../helpers/cli.js';

const manifest = async (dir: string) => JSON.parse(await readFile(join(REPO, dir, 'package.json'), 'utf8')).tapir;
const failures = (checks: Awaited<ReturnType<typeof checkPlugin>>) =>
  checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.message}`);

describe('the conformance kit (@tapir/sdk/testing)', () => {
  let s: Awaited<ReturnType<typeof scratch>>;
  beforeAll(async () => {
    s = await scratch();
    await mkdir(join(s.dir, 'tree/sub'), { recursive: true });
    await writeFile(join(s.dir, 'tree/sub/a.txt'), 'a');
    // Past the scan's small-file limit: read through open(), into the kit's ChunkBuffers.
    await writeFile(join(s.dir, 'tree/sub/large.bin'), Buffer.alloc(3 * 1024 * 1024 + 17, 'L'));
  });
  afterAll(() => s.dispose());

  it('passes the bundled files and disk plugins, exercising their source and destination', async () => {
    const filesChecks = await checkPlugin(files, {
      manifest: await manifest('plugins/files'),
      sources: { files: { paths: [join(s.dir, 'tree')] } },
    });
    expect(failures(filesChecks)).toEqual([]);
    expect(filesChecks.map((c) => c.name)).toContain('sources.files: stops when the run is cancelled');
    expect(filesChecks.map((c) => c.name)).toContain('sources.files: prepare() is a hint that returns at once');
    const diskChecks = await checkPlugin(disk, {
      manifest: await manifest('plugins/disk'),
      destinations: { disk: { path: join(s.dir, 'dest') } },
    });
    expect(failures(diskChecks)).toEqual([]);
  });

  it('passes the third-party fixture plugin', async () => {
    const hello = (await import(join(REPO, 'test/fixtures/tapir-plugin-hello/index.js'))).default;
    const checks = await checkPlugin(hello, {
      manifest: await manifest('test/fixtures/tapir-plugin-hello'),
      sources: { hello: { name: 'kit', count: 2 } },
    });
    expect(failures(checks)).toEqual([]);
  });

  it('names what a broken plugin gets wrong', async () => {
    const broken = definePlugin({
      name: 'Broken_Name',
      version: 'one',
      api: '^2',
      apply(hooks) {
        hooks.sources.for('leaky').tap('broken', () => ({
          kind: 'other',
          schema: { type: 'object' },
          create: () => ({
            object: 'x',
            async *items() {
              yield { path: '/etc/passwd', type: 'file' as const };
              yield {
                path: 'dir/entry',
                type: 'file' as const,
                size: 3,
                open: async function* () {
                  yield new Uint8Array(1);
                },
              };
              yield { path: 'dir', type: 'directory' as const };
            },
          }),
        }));
      },
    });
    const messages = failures(
      await checkPlugin(broken, { manifest: { api: '^1', provides: { sources: ['other'] } }, sources: { leaky: {} } }),
    );
    expect(messages).toEqual([
      'has a name and a semver version: name "Broken_Name" must be lower-case letters, digits and dashes',
      'accepts this tapir\'s plugin API (1.2.0): api "^2" excludes 1.2.0',
      'package.json#tapir.provides lists exactly what it registers: sources: declares [other], registers [leaky]',
      'sources.leaky: names itself and has a schema that compiles: registered under "leaky" but calls itself "other"',
      'sources.leaky: yields valid items and reads their data: item path "/etc/passwd" must be relative, without "." or ".." segments',
    ]);
    expect(await checkPlugin({ name: 'not-a-plugin' })).toEqual([
      { name: 'is a definePlugin() result', ok: false, message: 'the default export is not made by definePlugin()' },
    ]);
  });
  it('holds transforms to what they declare: the zstd transform passes, one that keeps its input or whose thread form differs fails', async () => {
    const zstd = (await import('../../core/dist/builtins/zstdTransform.js')).zstdTransformKind;
    const transformPlugin = (name: string, kind: TransformKind) =>
      definePlugin({
        name,
        version: '1.0.0',
        api: '^1.1',
        apply(hooks) {
          hooks.transforms.for(kind.kind).tap(name, () => kind);
        },
      });
    const good = await checkPlugin(transformPlugin('zstd-check', zstd), { transforms: { zstd: { level: 1 } } });
    expect(failures(good)).toEqual([]);
    expect(good.map((c) => c.name)).toContain(
      'transforms.zstd: decodes what it encodes, and keeps to what it declares',
    );

    // Says it is done with each input chunk once it asks for the next, but batches them by reference.
    const keeper: TransformKind = {
      kind: 'keeper',
      stage: 300,
      schema: { type: 'object', additionalProperties: false },
      create: () => ({
        descriptor: { kind: 'keeper', stage: 300, params: {} },
        releasesInput: true,
        encode: () =>
          async function* (input) {
            const held: Uint8Array[] = [];
            for await (const chunk of input) held.push(chunk);
            yield* held;
          },
      }),
      decoder: () => (input) => input,
    };
    // A thread form that is not the same encoding: it compresses at another level.
    const other: TransformKind = {
      ...zstd,
      kind: 'other',
      create: async (options) => ({
        ...(await zstd.create({ level: 1, ...options })),
        threadEncoding: {
          module: new URL('../../core/dist/builtins/zstdChunk.js', import.meta.url).href,
          params: { level: 19 },
        },
      }),
    };
    expect(failures(await checkPlugin(transformPlugin('keeper', keeper), { transforms: { keeper: {} } }))).toEqual([
      expect.stringContaining('with releasesInput, an input chunk must not be used once the next is asked for'),
    ]);
    expect(failures(await checkPlugin(transformPlugin('other', other), { transforms: { other: {} } }))).toEqual([
      expect.stringContaining('the thread encoding differs from what encode() makes of the data as one chunk'),
    ]);
  });

  /** A plugin of one source kind, named after it, whose source yields `items`. */
  const sourcePlugin = (name: string, items: () => AsyncIterable<SourceItem>, extra: Partial<SourceKind> = {}) =>
    definePlugin({
      name,
      version: '1.0.0',
      api: '^1.2',
      apply(hooks) {
        hooks.sources.for(name).tap(name, () => ({
          kind: name,
          schema: { type: 'object', additionalProperties: false },
          create: () => ({ object: name, items }),
          ...extra,
        }));
      },
    });

  it('holds sources to ChunkBuffers: a buffer taken once may be yielded once', async () => {
    const reuser = sourcePlugin('reuser', async function* () {
      yield {
        path: 'data',
        type: 'stream' as const,
        async *open(_signal: AbortSignal, buffers?: ChunkBuffers) {
          const buf = buffers ? buffers.take(1024) : Buffer.alloc(1024);
          for (let i = 0; i < 3; i++) yield buf.fill(i);
        },
      };
    });
    expect(failures(await checkPlugin(reuser, { sources: { reuser: {} } }))).toEqual([
      expect.stringContaining('data: a buffer taken from ChunkBuffers was yielded twice'),
    ]);
  });

  it('holds prepare() to a hint: one that waits for its work fails', async () => {
    const waiter = sourcePlugin(
      'waiter',
      async function* () {
        yield { path: 'a', type: 'directory' as const };
      },
      // Declared as a hint, but a promise to wait for.
      { prepare: (async () => {}) as unknown as () => void },
    );
    expect(failures(await checkPlugin(waiter, { sources: { waiter: {} } }))).toEqual([
      'sources.waiter: prepare() is a hint that returns at once: prepare() must return nothing (start its work without waiting for it)',
    ]);
  });
});
