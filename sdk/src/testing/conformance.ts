import { Ajv } from 'ajv';
import semver from 'semver';
import { createTapirHooks } from '../hooks.js';
import { isTapirPlugin, TAPIR_API_VERSION } from '../plugin.js';
import type { RunContext } from '../types/context.js';
import type { TapirHooks } from '../types/hooks.js';
import type { TapirPlugin } from '../types/plugin.js';
import type { SourceKind } from '../types/source.js';
import type { DestinationKind } from '../types/destination.js';
import type { ChunkBuffers } from '../types/item.js';
import type { Transform, TransformKind } from '../types/transform.js';

/** The categories of kinds a plugin can provide, as `package.json#tapir.provides` names them. */
export const KIND_CATEGORIES = ['sources', 'restoreTargets', 'transforms', 'destinations', 'notifiers'] as const;
export type KindCategory = (typeof KIND_CATEGORIES)[number];

/** One conformance check and its outcome. */
export interface ConformanceCheck {
  name: string;
  ok: boolean;
  message?: string;
}

/** What {@link checkPlugin} may exercise beyond the static checks. */
export interface ConformanceOptions {
  /** The plugin package's `package.json#tapir` section, to compare `provides` with what the plugin registers. */
  manifest?: { api?: string; provides?: Partial<Record<KindCategory, string[]>> };
  /** Options to open each source kind with; its items are then read and checked. */
  sources?: Record<string, Record<string, unknown>>;
  /** Options to open each destination kind with; a small save set is then written, read back and compared. */
  destinations?: Record<string, Record<string, unknown>>;
  /**
   * Options to create each transform kind with; sample data is then encoded and decoded, and what the transform
   * declares (`releasesInput`, `threadEncoding`) is held to.
   */
  transforms?: Record<string, Record<string, unknown>>;
}

/**
 * Checks a plugin against tapir's plugin contract: the envelope, the API range, deterministic registration, schemas
 * that compile, `provides` matching registration, and — given sample options — sources that yield valid items and
 * honour cancellation, and destinations that return what they were given.
 *
 * @example
 * ```ts
 * import plugin from '../src/index.js';
 * import { checkPlugin } from '@tapir/sdk/testing';
 * const report = await checkPlugin(plugin, { manifest: pkg.tapir, sources: { hello: { name: 'x' } } });
 * expect(report.filter((c) => !c.ok)).toEqual([]);
 * ```
 */
export async function checkPlugin(plugin: unknown, options: ConformanceOptions = {}): Promise<ConformanceCheck[]> {
  const checks: ConformanceCheck[] = [];
  const check = async (name: string, fn: () => void | Promise<void>) => {
    try {
      await fn();
      checks.push({ name, ok: true });
    } catch (error) {
      checks.push({ name, ok: false, message: (error as Error).message });
    }
  };
  await check('is a definePlugin() result', () =>
    assert(isTapirPlugin(plugin), 'the default export is not made by definePlugin()'),
  );
  if (!isTapirPlugin(plugin)) return checks;
  const p: TapirPlugin = plugin;
  await check('has a name and a semver version', () => {
    assert(/^[a-z0-9][a-z0-9-]*$/.test(p.name), `name "${p.name}" must be lower-case letters, digits and dashes`);
    assert(semver.valid(p.version) !== null, `version "${p.version}" is not semver`);
  });
  await check(`accepts this tapir's plugin API (${TAPIR_API_VERSION})`, () => {
    assert(semver.validRange(p.api) !== null, `api "${p.api}" is not a semver range`);
    assert(semver.satisfies(TAPIR_API_VERSION, p.api), `api "${p.api}" excludes ${TAPIR_API_VERSION}`);
    if (options.manifest?.api)
      assert(
        options.manifest.api === p.api,
        `package.json says api "${options.manifest.api}", definePlugin says "${p.api}"`,
      );
  });
  let registered: Record<KindCategory, Map<string, unknown>> | undefined;
  await check('registers the same kinds every time it is applied', async () => {
    const first = await registrations(p);
    const second = await registrations(p);
    for (const category of KIND_CATEGORIES) {
      assert(sameKeys(first[category], second[category]), `${category} differ between two applications`);
    }
    registered = first;
  });
  if (!registered) return checks;
  const kinds = registered;
  if (options.manifest) {
    await check('package.json#tapir.provides lists exactly what it registers', () => {
      for (const category of KIND_CATEGORIES) {
        const declared = [...(options.manifest!.provides?.[category] ?? [])].sort();
        const actual = [...kinds[category].keys()].sort();
        assert(
          JSON.stringify(declared) === JSON.stringify(actual),
          `${category}: declares [${declared.join(', ')}], registers [${actual.join(', ')}]`,
        );
      }
    });
  }
  const ajv = new Ajv({ allErrors: true, strict: false });
  for (const category of KIND_CATEGORIES) {
    for (const [key, value] of kinds[category]) {
      await check(`${category}.${key}: names itself and has a schema that compiles`, () => {
        const kind = value as { kind?: unknown; schema?: unknown };
        assert(kind.kind === key, `registered under "${key}" but calls itself "${String(kind.kind)}"`);
        assert(typeof kind.schema === 'object' && kind.schema !== null, 'has no JSON Schema');
        ajv.compile(kind.schema as object);
        assert(
          (kind.schema as { additionalProperties?: unknown }).additionalProperties === false,
          'schema must set additionalProperties: false so that typos are caught',
        );
      });
    }
  }
  for (const [key, sample] of Object.entries(options.sources ?? {})) {
    const kind = kinds.sources.get(key) as SourceKind | undefined;
    if (kind?.prepare) {
      await check(`sources.${key}: prepare() is a hint that returns at once`, () => {
        // As tapir gives it: before create(), and once per backup a process runs (here twice).
        for (let i = 0; i < 2; i++) {
          const result: unknown = kind.prepare!();
          assert(result === undefined, 'prepare() must return nothing (start its work without waiting for it)');
        }
      });
    }
    await check(`sources.${key}: yields valid items and reads their data`, async () => {
      assert(kind, `no source kind "${key}" registered`);
      const source = await kind.create(sample, context(new AbortController().signal));
      try {
        const order = new Map<string, number>();
        for await (const item of source.items(context(new AbortController().signal))) {
          assert(isSafePath(item.path), `item path "${item.path}" must be relative, without "." or ".." segments`);
          assert(!order.has(item.path), `item path "${item.path}" is yielded twice`);
          order.set(item.path, order.size);
          if (item.open) {
            let bytes = 0;
            const buffers = new TrackedBuffers();
            for await (const chunk of item.open(new AbortController().signal, buffers)) {
              assert(chunk instanceof Uint8Array, `${item.path}: data chunks must be Uint8Array`);
              buffers.yielded(chunk, item.path);
              bytes += chunk.byteLength;
            }
            if (item.type === 'file' && item.size !== undefined && !item.sparse)
              assert(bytes === item.size, `${item.path}: announced ${item.size} bytes, yielded ${bytes}`);
          }
        }
        assert(order.size > 0, 'yielded no items for the sample options');
        for (const [path, index] of order) {
          const parent = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : undefined;
          const parentIndex = parent === undefined ? undefined : order.get(parent);
          assert(
            parentIndex === undefined || parentIndex < index,
            `directory "${parent}" is yielded after its entry "${path}"`,
          );
        }
      } finally {
        await source.close?.();
        await source.close?.(); // close must be idempotent
      }
    });
    await check(`sources.${key}: stops when the run is cancelled`, async () => {
      assert(kind, `no source kind "${key}" registered`);
      const abort = new AbortController();
      abort.abort(new Error('cancelled by the conformance kit'));
      const source = await kind.create(sample, context(abort.signal));
      let count = 0;
      try {
        for await (const _ of source.items(context(abort.signal))) {
          if (++count > 10_000) throw new Error('kept yielding items after the run was cancelled');
        }
      } catch {
        // stopping with an error is the expected way to honour the signal
      } finally {
        await source.close?.();
      }
    });
  }
  for (const [key, sample] of Object.entries(options.destinations ?? {})) {
    await check(
      `destinations.${key}: returns the bytes it was given (through write and writev, buffers reused after each), and aborts cleanly`,
      async () => {
        const kind = kinds.destinations.get(key) as DestinationKind | undefined;
        assert(kind, `no destination kind "${key}" registered`);
        const ctx = context(new AbortController().signal);
        const destination = await kind.create(sample, ctx);
        await destination.check(ctx);
        // Bytes that differ along the payload, so that a reordered or repeated chunk shows.
        const payload = Buffer.from(Array.from({ length: 3 * 65536 + 123 }, (_, i) => (i * 31 + (i >> 9)) & 255));
        const info = {
          id: '00000000-0000-4000-8000-000000000001',
          job: 'conformance',
          object: 'sample',
          level: 'full' as const,
          startedAt: new Date().toISOString(),
        };
        const writer = await destination.create(info, ctx);
        // Each chunk is a copy that is overwritten once the write resolved, as tapir reuses its buffers.
        for (let i = 0; i < 2 * 65536; i += 65536) {
          const chunk = Buffer.from(payload.subarray(i, i + 65536));
          await writer.write(chunk);
          chunk.fill(0xee);
        }
        const tail = Buffer.from(payload.subarray(2 * 65536));
        if (writer.writev) {
          // A gather list as tapir hands it over: uneven pieces, an empty one among them.
          await writer.writev([tail.subarray(0, 1), tail.subarray(1, 1), tail.subarray(1, 4097), tail.subarray(4097)]);
        } else await writer.write(tail);
        tail.fill(0xee);
        const extents = await writer.commit();
        const reader = await destination.open(extents, ctx);
        const back: Buffer[] = [];
        for await (const chunk of reader.read(ctx.signal)) back.push(Buffer.from(chunk));
        await reader.close();
        assert(Buffer.concat(back).equals(payload), 'read back differs from what was written');
        await destination.remove?.(extents, ctx);
        const aborted = await destination.create({ ...info, id: '00000000-0000-4000-8000-000000000002' }, ctx);
        await aborted.write(payload.subarray(0, 100));
        await aborted.abort(new Error('conformance abort'));
        await aborted.abort(new Error('twice')); // must not throw
        await destination.discard?.('00000000-0000-4000-8000-000000000003', ctx);
        await destination.close?.();
      },
    );
  }
  for (const [key, sample] of Object.entries(options.transforms ?? {})) {
    const kind = kinds.transforms.get(key) as TransformKind | undefined;
    await check(`transforms.${key}: decodes what it encodes, and keeps to what it declares`, async () => {
      assert(kind, `no transform kind "${key}" registered`);
      await checkTransform(kind, sample);
    });
  }
  return checks;
}

/** Like {@link checkPlugin}, but throws one error listing every failed check. */
export async function expectConformance(
  plugin: unknown,
  options: ConformanceOptions = {},
): Promise<ConformanceCheck[]> {
  const checks = await checkPlugin(plugin, options);
  const failed = checks.filter((c) => !c.ok);
  if (failed.length > 0)
    throw new Error(`plugin does not conform:\n${failed.map((c) => `  ✗ ${c.name}: ${c.message}`).join('\n')}`);
  return checks;
}

async function registrations(plugin: TapirPlugin): Promise<Record<KindCategory, Map<string, unknown>>> {
  const hooks: TapirHooks = createTapirHooks();
  const seen = Object.fromEntries(KIND_CATEGORIES.map((c) => [c, new Set<string>()])) as Record<
    KindCategory,
    Set<string>
  >;
  for (const category of KIND_CATEGORIES) {
    (hooks[category] as unknown as { intercept(i: { factory(key: string, hook: unknown): unknown }): void }).intercept({
      factory: (key, hook) => {
        seen[category].add(key);
        return hook;
      },
    });
  }
  await plugin.apply(hooks, { config: {}, log: silentLog, home: '/nonexistent' });
  const out = {} as Record<KindCategory, Map<string, unknown>>;
  for (const category of KIND_CATEGORIES) {
    out[category] = new Map();
    for (const key of seen[category]) {
      const value = (hooks[category] as unknown as { get(k: string): { call(): unknown } | undefined })
        .get(key)
        ?.call();
      if (value !== undefined) out[category].set(key, value);
    }
  }
  return out;
}

/**
 * {@link ChunkBuffers} that remember what they lent: a taken buffer may be yielded once, as itself or one view of it,
 * and the kit then overwrites it, as tapir uses it again.
 */
class TrackedBuffers implements ChunkBuffers {
  private readonly lent = new WeakSet<ArrayBufferLike>();
  private readonly yieldedOnce = new WeakSet<ArrayBufferLike>();

  take(size: number): Buffer {
    const buffer = Buffer.alloc(size);
    this.lent.add(buffer.buffer);
    return buffer;
  }

  /** Checks a yielded chunk; its memory is overwritten on the next call (the caller is done with it by then). */
  yielded(chunk: Uint8Array, what: string): void {
    this.scribble?.();
    this.scribble = undefined;
    if (!this.lent.has(chunk.buffer)) return;
    assert(!this.yieldedOnce.has(chunk.buffer), `${what}: a buffer taken from ChunkBuffers was yielded twice`);
    this.yieldedOnce.add(chunk.buffer);
    this.scribble = () => new Uint8Array(chunk.buffer).fill(0xee);
  }

  private scribble: (() => void) | undefined;
}

/** Samples of member data as a transform sees them: no chunk, one empty chunk, single chunks, many of uneven sizes. */
function transformSamples(): Buffer[][] {
  const text = Buffer.from('tapir conformance: the quick brown fox jumps over the lazy dog\n'.repeat(40_000));
  const noise = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 2654435761) >>> 24));
  return [
    [],
    [Buffer.alloc(0)],
    [Buffer.from('x')],
    [text.subarray(0, 70_000)],
    [text.subarray(0, 1 << 20), noise.subarray(0, 65_536), text.subarray(5, 200_005), noise],
  ];
}

async function collect(pipe: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const chunk of pipe) out.push(Buffer.from(chunk));
  return Buffer.concat(out);
}

async function checkTransform(kind: TransformKind, options: Record<string, unknown>): Promise<void> {
  const transform: Transform = await kind.create(options);
  try {
    const decoder = () => kind.decoder(transform.descriptor);
    for (const [n, chunks] of transformSamples().entries()) {
      const plain = Buffer.concat(chunks);
      // Input chunks are fresh copies; with releasesInput they are overwritten as soon as the next one is asked for.
      const outputs = new TrackedBuffers();
      const encoded: Buffer[] = [];
      const input = (async function* () {
        for (const chunk of chunks) {
          const copy = Buffer.from(chunk);
          yield copy;
          if (transform.releasesInput) copy.fill(0xee);
        }
      })();
      for await (const chunk of transform.encode(outputs)(input)) {
        outputs.yielded(chunk, `sample ${n}`);
        encoded.push(Buffer.from(chunk));
      }
      const decoded = await collect(
        decoder()(
          (async function* () {
            yield* encoded;
          })(),
        ),
      );
      assert(
        decoded.equals(plain),
        `sample ${n} (${plain.length} bytes in ${chunks.length} chunks) decodes to other bytes` +
          (transform.releasesInput
            ? ': with releasesInput, an input chunk must not be used once the next is asked for'
            : ''),
      );
      if (transform.threadEncoding && chunks.length === 1) {
        const module = (await import(transform.threadEncoding.module)) as {
          createChunkEncoder?(params: unknown): (data: Uint8Array) => Uint8Array;
        };
        assert(typeof module.createChunkEncoder === 'function', 'threadEncoding.module exports no createChunkEncoder');
        const encode = module.createChunkEncoder(transform.threadEncoding.params);
        const whole = Buffer.from(encode(Buffer.from(plain)));
        assert(
          whole.equals(Buffer.concat(encoded)),
          `sample ${n}: the thread encoding differs from what encode() makes of the data as one chunk`,
        );
      }
    }
  } finally {
    await transform.close?.();
  }
}

function context(signal: AbortSignal): RunContext {
  return { job: 'conformance', signal, log: silentLog, warn: () => {} };
}

const silentLog = { debug() {}, info() {}, warn() {}, error() {} };

function isSafePath(path: string): boolean {
  return (
    path.length > 0 &&
    !path.startsWith('/') &&
    path.split('/').every((part) => part !== '' && part !== '.' && part !== '..')
  );
}

function sameKeys(a: Map<string, unknown>, b: Map<string, unknown>): boolean {
  return JSON.stringify([...a.keys()].sort()) === JSON.stringify([...b.keys()].sort());
}

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}
