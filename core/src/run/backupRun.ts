import { randomUUID } from 'node:crypto';
import {
  type BackupLevel,
  type Destination,
  pluginError,
  type RunContext,
  type RunEndEvent,
  type RunWarning,
  type SaveSetEndEvent,
  type SourceItem,
  TapirError,
  type Transform,
} from '@tapir/sdk';
import type { Catalog, ParentItem } from '../catalog/Catalog.js';
import type { KindConfig } from '../config/types.js';
import { ArchiveWriter } from '../format/ArchiveWriter.js';
import {
  DEFAULT_SEGMENT_SIZE,
  FORMAT_NAME,
  FORMAT_VERSION,
  type ManifestEnd,
  type ManifestItem,
  type SaveSetHeader,
} from '../format/saveSetFormat.js';
import type { PluginHost } from '../host/PluginHost.js';
import { itemEncoderFor } from '../pipeline/itemEncoder.js';
import { SaveSetEncoder } from '../pipeline/SaveSetEncoder.js';
import { TAPIR_VERSION } from '../version.js';
import { abortError, asTapirError, attempt, attributed } from './attribution.js';
import { itemHash } from './itemHash.js';
import { ManifestSpool } from './ManifestSpool.js';
import { RunNotifiers } from './notifiers.js';
import { runContext, type RunServices } from './runContext.js';
import { openDestination, splitKind } from './kinds.js';

/** Everything a backup run needs to know, resolved from the configuration or the command line. */
export interface BackupSpec {
  job: string;
  sources: KindConfig[];
  destination: KindConfig;
  transforms: KindConfig[];
  level: BackupLevel;
  /** Save sets written at once. */
  streams: number;
  /** Notifiers told about the run (start, each save set, end, failure, media events). */
  notifiers?: KindConfig[];
}

/** What a backup run's environment provides. */
export interface RunEnvironment extends RunServices {
  segmentSize?: number;
}

/**
 * Item records kept for the catalog before they are inserted. Fewer live records mean fewer survive the young
 * generation's collections: 20,000 small files took 1.30–1.40 s at 256, 1.37–1.52 s at 2,000.
 */
const CATALOG_BATCH = 256;
const PROGRESS_EVERY_MS = 200;

/**
 * Runs one backup: one save set per source, written through the transforms to the destination, recorded in the
 * catalog. A save set is marked complete only after the destination committed it; on any failure or cancellation
 * it is marked failed and its partial data removed.
 */
export async function runBackup(spec: BackupSpec, env: RunEnvironment): Promise<RunEndEvent> {
  const notifiers = await RunNotifiers.create(env.host, spec.notifiers ?? [], env.log);
  try {
    return await runWithNotifiers(spec, env, notifiers);
  } finally {
    await notifiers.close();
  }
}

async function runWithNotifiers(spec: BackupSpec, env: RunEnvironment, notifiers: RunNotifiers): Promise<RunEndEvent> {
  const { host, catalog, log } = env;
  const warnings: RunWarning[] = [];
  const ctx: RunContext = runContext(spec.job, { ...env, notify: (e) => notifiers.notify(e) }, (w) => {
    warnings.push(w);
    log.warn({ warning: w }, w.message);
  });

  // Resolve every kind before anything is written: a typo fails here, with nothing half-done.
  const sourceKinds = await expandSources(host, spec.sources, ctx);
  const transformKinds = spec.transforms
    .map((t) => ({ config: t, provided: host.require('transforms', t.kind) }))
    .sort((a, b) => a.provided.value.stage - b.provided.value.stage);
  const destination = await openDestination(host, spec.destination, ctx);
  try {
    await cleanupAbandoned(host, catalog, ctx);
    await attempt(host.require('destinations', spec.destination.kind).plugin, 'destination.check', () =>
      destination.check(ctx),
    );
  } catch (error) {
    await destination.close?.().catch(() => {});
    throw error;
  }

  const runId = await catalog.beginRun(spec.job);
  const startedAt = new Date().toISOString();
  const start = { type: 'start' as const, job: spec.job, runId, at: startedAt };
  await host.hooks.runStart.promise(start);
  await notifiers.notify(start);
  const results: SaveSetEndEvent[] = [];
  let runError: TapirError | undefined;
  try {
    const queue = [...sourceKinds];
    const workers = Array.from({ length: Math.min(spec.streams, queue.length) }, async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const result = await backupOne(next, { spec, env, ctx, runId, destination, transformKinds });
        await notifiers.notify(result);
        results.push(result);
      }
    });
    await Promise.all(workers);
  } catch (error) {
    runError = asTapirError(error);
  } finally {
    await destination.close?.().catch(() => {});
  }
  const failedSet = results.find((r) => r.status === 'failed');
  const failure = runError ? { code: runError.code, message: runError.message } : failedSet?.error;
  const status = failure ? 'failed' : warnings.length > 0 ? 'warning' : 'ok';
  await catalog.endRun(runId, status, failure?.message);
  if (failure) {
    const error = failure;
    const failureEvent = { type: 'failure' as const, job: spec.job, runId, error };
    await host.hooks.runFailure.promise(failureEvent);
    await notifiers.notify(failureEvent);
  }
  const end: RunEndEvent = {
    type: 'end',
    job: spec.job,
    runId,
    at: new Date().toISOString(),
    status,
    warnings,
    saveSets: results,
  };
  await host.hooks.runEnd.promise(end);
  await notifiers.notify(end);
  if (runError) throw runError;
  return end;
}

interface SaveSetJob {
  spec: BackupSpec;
  env: RunEnvironment;
  ctx: RunContext;
  runId: number;
  destination: Destination;
  transformKinds: Array<{ config: KindConfig; provided: ReturnType<PluginHost['require']> }>;
}

async function backupOne(
  source: { config: KindConfig; provided: ReturnType<PluginHost['require']> },
  job: SaveSetJob,
): Promise<SaveSetEndEvent> {
  const { spec, env, ctx, runId, destination } = job;
  const { host, catalog, log } = env;
  const sourcePlugin = source.provided.plugin;
  const opened = await attempt(sourcePlugin, 'source.create', () =>
    (source.provided.value as import('@tapir/sdk').SourceKind).create(splitKind(source.config), ctx),
  );
  const transforms: Transform[] = [];
  for (const t of job.transformKinds) {
    transforms.push(
      await attempt(t.provided.plugin, 'transform.create', () =>
        (t.provided.value as import('@tapir/sdk').TransformKind).create(splitKind(t.config)),
      ),
    );
  }
  const parent = await findParent(catalog, spec, opened.object);
  const level: BackupLevel = parent ? spec.level : 'full';
  const parentItems: Map<string, ParentItem> = parent ? await catalog.parentItems(parent.id) : new Map();
  const header: SaveSetHeader = {
    format: FORMAT_NAME,
    version: FORMAT_VERSION,
    id: randomUUID(),
    job: spec.job,
    object: opened.object,
    level,
    ...(parent ? { parent: parent.id } : {}),
    startedAt: new Date().toISOString(),
    hash: itemHash(),
    transforms: transforms.map((t) => t.descriptor),
    segmentSize: env.segmentSize ?? segmentSizeFromEnv() ?? DEFAULT_SEGMENT_SIZE,
    writer: TAPIR_VERSION,
  };
  const event = (status: 'complete' | 'failed', stats: Stats, error?: TapirError): SaveSetEndEvent => ({
    type: 'saveSetEnd',
    job: spec.job,
    saveSet: header.id,
    object: header.object,
    level,
    status,
    items: stats.items,
    bytes: stats.bytes,
    storedBytes: stats.storedBytes,
    ...(error ? { error: { code: error.code, message: error.message } } : {}),
  });
  await catalog.createSaveSet({
    header,
    runId,
    destination: { kind: spec.destination.kind, options: splitKind(spec.destination) },
  });
  if (parent)
    log.info({ saveSet: header.id, parent: parent.id, level }, `${level} of ${header.object} based on ${parent.id}`);
  else if (spec.level !== 'full')
    log.info({ saveSet: header.id }, `full of ${header.object}: no earlier complete save set to build on`);

  const stats: Stats = { items: 0, bytes: 0, storedBytes: 0 };
  const spool = await ManifestSpool.create();
  let writer: import('@tapir/sdk').SaveSetWriter | undefined;
  let archive: ArchiveWriter | undefined;
  let encoder: SaveSetEncoder | undefined;
  try {
    writer = await attempt(host.require('destinations', spec.destination.kind).plugin, 'destination.create', () =>
      destination.create(
        {
          id: header.id,
          job: spec.job,
          object: header.object,
          level,
          ...(parent ? { parent: parent.id } : {}),
          startedAt: header.startedAt,
        },
        ctx,
      ),
    );
    const w = writer;
    const destinationPlugin = host.require('destinations', spec.destination.kind).plugin;
    archive = new ArchiveWriter(async (chunks) => {
      if (ctx.signal.aborted) throw abortError(ctx.signal);
      const bytes = chunks.reduce((n, c) => n + c.length, 0);
      if (w.writev) await attempt(destinationPlugin, 'destination.writev', () => w.writev!(chunks));
      else {
        const chunk = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, bytes);
        await attempt(destinationPlugin, 'destination.write', () => w.write(chunk));
      }
      stats.storedBytes += bytes;
    });
    // Offered on full save sets only: on others most items are unchanged, and encoding them ahead would be waste.
    const itemEncoder = parent ? undefined : itemEncoderFor(header.hash, transforms);
    encoder = new SaveSetEncoder(archive, {
      saveSetId: header.id,
      hash: header.hash,
      transforms,
      segmentSize: header.segmentSize,
      ...(itemEncoder ? { itemEncoder: itemEncoder.id } : {}),
      warn: ctx.warn,
    });
    await archive.writeSaveSetHeader(header);
    const recorder = new ItemRecorder({
      spec,
      host,
      catalog,
      header,
      encoder,
      spool,
      stats,
      parentItems,
      signal: ctx.signal,
      sourcePlugin,
    });
    await recordItems(opened.items(ctx, itemEncoder ? { itemEncoder: itemEncoder.spec } : {}), recorder);
    stats.bytes = encoder.bytes;
    await recorder.flush();
    const end: ManifestEnd = {
      $end: { items: stats.items, bytes: stats.bytes, completedAt: new Date().toISOString() },
    };
    let index = 0;
    for await (const segment of spool.segments(header.segmentSize, JSON.stringify(end))) {
      await archive.writeManifestSegment(index++, segment);
    }
    await archive.finish();
    const extents = await attempt(
      host.require('destinations', spec.destination.kind).plugin,
      'destination.commit',
      () => w.commit(),
    );
    await catalog.completeSaveSet(header.id, extents, stats);
    host.hooks.progress.call({
      type: 'progress',
      job: spec.job,
      items: stats.items,
      bytes: stats.bytes,
      storedBytes: stats.storedBytes,
    });
    const done = event('complete', stats);
    await host.hooks.saveSetEnd.promise(done);
    return done;
  } catch (error) {
    const failure = ctx.signal.aborted ? abortError(ctx.signal) : asTapirError(error);
    log.error(
      { err: failure.toJSON(), saveSet: header.id },
      `save set ${header.id} of ${header.object} failed: ${failure.message}`,
    );
    // A write may still be running: the destination must not see abort() beside it.
    await archive?.settle();
    await writer?.abort(failure).catch(() => {});
    await catalog.failSaveSet(header.id, `${failure.code}: ${failure.message}`);
    const failed = event('failed', stats, failure);
    await host.hooks.saveSetEnd.promise(failed);
    if (ctx.signal.aborted) throw failure;
    return failed;
  } finally {
    await encoder?.close();
    await spool.dispose();
    await opened.close?.().catch(() => {});
    for (const t of transforms) await t.close?.().catch(() => {});
  }
}

/** Takes a source's items in order and records each; a source that throws fails as `source.items`. */
async function recordItems(items: AsyncIterable<SourceItem>, recorder: ItemRecorder): Promise<void> {
  const iterator = items[Symbol.asyncIterator]();
  const { signal, sourcePlugin } = recorder.save;
  for (;;) {
    let next: IteratorResult<SourceItem>;
    try {
      next = await iterator.next();
    } catch (error) {
      throw pluginError(sourcePlugin, 'source.items', error);
    }
    if (next.done) return;
    if (signal.aborted) throw abortError(signal);
    await recorder.add(next.value);
  }
}

/** What an {@link ItemRecorder} works with: one save set being written. */
interface SaveSetInProgress {
  spec: BackupSpec;
  host: PluginHost;
  catalog: Catalog;
  header: SaveSetHeader;
  encoder: SaveSetEncoder;
  spool: ManifestSpool;
  stats: Stats;
  parentItems: Map<string, ParentItem>;
  signal: AbortSignal;
  sourcePlugin: string;
}

/**
 * Each item of a save set: encoded (or, unchanged since the parent, referenced), its manifest line spooled, its
 * record put in the next catalog page, the item and progress hooks told.
 *
 * @remarks
 * Kept apart from `backupOne`, in small methods, for V8: with the loop inside that long async function, V8 compiled
 * the whole of it three times per backup of 20,000 small files (19–42 ms each on its compiler threads), dropping the
 * code each time a new path of it ran. With this class, and its arrays used again, such a backup takes 0.07–0.08
 * CPU-seconds and ~15 MiB less (docs/adr/0019-cpu-per-run.md).
 */
class ItemRecorder {
  private readonly batch: ManifestItem[] = [];
  /** Each record serialised once, for the manifest line and the catalog page alike. */
  private readonly batchJson: string[] = [];
  /** A time in ms (`Date.now()`): a double from the start, so that V8's code for `add` is not thrown away for it. */
  private lastProgress = Number.NEGATIVE_INFINITY;

  constructor(readonly save: SaveSetInProgress) {}

  async add(item: SourceItem): Promise<void> {
    const previous = this.save.parentItems.get(item.path);
    const unchanged =
      previous !== undefined &&
      item.changeToken !== undefined &&
      previous.changeToken === item.changeToken &&
      previous.record.type === item.type;
    const record = unchanged ? await this.reference(item, previous) : await this.encode(item);
    const { stats, spool, host } = this.save;
    stats.items++;
    const json = JSON.stringify(record);
    await spool.add(record, json);
    this.batch.push(record);
    this.batchJson.push(json);
    if (this.batch.length >= CATALOG_BATCH) await this.flush();
    if (host.hooks.item.taps.length > 0) this.itemHook(item, record, unchanged);
    const now = Date.now();
    if (now - this.lastProgress >= PROGRESS_EVERY_MS) {
      this.lastProgress = now;
      this.progress(item);
    }
  }

  /** Puts the records not yet in the catalog there, as one page. */
  async flush(): Promise<void> {
    await this.save.catalog.addItems(this.save.header.id, this.batch, this.batchJson);
    // The same arrays again (the catalog keeps neither): with new ones each time, V8 deoptimised `add` at their
    // `push` ("not a Smi", seen with --trace-deopt).
    this.batch.length = 0;
    this.batchJson.length = 0;
  }

  private async encode(item: SourceItem): Promise<ManifestItem> {
    const open = item.open;
    const { sourcePlugin } = this.save;
    if (open)
      item.open = (signal, buffers) => attributed(sourcePlugin, 'source.read', open.call(item, signal, buffers));
    return this.save.encoder.encode(item, this.save.signal);
  }

  /** An item unchanged since the parent: its record points at the save set holding its data. */
  private async reference(item: SourceItem, previous: ParentItem): Promise<ManifestItem> {
    const { open: _open, encoded: _encoded, ...meta } = item;
    const record = { ...previous.record, ...meta, dataSaveSet: previous.record.dataSaveSet ?? previous.dataSaveSet };
    const { type } = previous.record;
    if (type === 'directory' || type === 'symlink' || type === 'hardlink')
      await this.save.encoder.encode(item, this.save.signal);
    return record;
  }

  private itemHook(item: SourceItem, record: ManifestItem, unchanged: boolean): void {
    const { host, spec, header } = this.save;
    host.hooks.item.call({
      type: 'item',
      job: spec.job,
      saveSet: header.id,
      path: item.path,
      bytes: record.dataSize ?? 0,
      unchanged,
    });
  }

  private progress(item: SourceItem): void {
    const { host, spec, stats, encoder } = this.save;
    host.hooks.progress.call({
      type: 'progress',
      job: spec.job,
      items: stats.items,
      bytes: encoder.bytes,
      storedBytes: stats.storedBytes,
      current: item.path,
    });
  }
}

/** `TAPIR_SEGMENT_SIZE` (bytes) tunes the member bound for transformed data: smaller means less memory per stream. */
function segmentSizeFromEnv(): number | undefined {
  const value = Number(process.env.TAPIR_SEGMENT_SIZE);
  return Number.isSafeInteger(value) && value >= 4096 ? value : undefined;
}

interface Stats {
  items: number;
  bytes: number;
  storedBytes: number;
}

async function findParent(catalog: Catalog, spec: BackupSpec, object: string) {
  if (spec.level === 'full') return undefined;
  if (spec.level === 'differential') return catalog.latestComplete(spec.job, object, 'full');
  return catalog.latestComplete(spec.job, object);
}

/** Every configured source, split by its kind's `expand` (one save set per VM, database, …). */
async function expandSources(host: PluginHost, sources: KindConfig[], ctx: RunContext) {
  const out: Array<{ config: KindConfig; provided: ReturnType<PluginHost['require']> }> = [];
  for (const config of sources) {
    const provided = host.require('sources', config.kind);
    const kind = provided.value as import('@tapir/sdk').SourceKind;
    const expanded = kind.expand
      ? await attempt(provided.plugin, 'source.expand', () => kind.expand!(splitKind(config), ctx))
      : [splitKind(config)];
    for (const options of expanded) out.push({ config: { ...options, kind: config.kind }, provided });
  }
  return out;
}

/** Save sets whose writer was killed: mark them failed and let their destination remove what they left. */
async function cleanupAbandoned(host: PluginHost, catalog: Catalog, ctx: RunContext): Promise<void> {
  for (const saveSet of await catalog.reapAbandoned()) {
    ctx.log.warn(
      { saveSet: saveSet.id },
      `save set ${saveSet.id} of job ${saveSet.job} was abandoned by a killed run; marked failed`,
    );
    const kind = host.find('destinations', saveSet.destination.kind);
    if (!kind) continue;
    const destination = await kind.value.create(saveSet.destination.options, ctx);
    await destination.discard?.(saveSet.id, ctx).catch(() => {});
  }
}
