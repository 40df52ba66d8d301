import picomatch from 'picomatch';
import { type Extent, type RestoreTarget, type RunContext, type RunWarning, TapirError } from '@tapir/sdk';
import type { SaveSetRecord } from '../catalog/Catalog.js';
import type { KindConfig } from '../config/types.js';
import type { ManifestItem } from '../format/saveSetFormat.js';
import type { PluginHost } from '../host/PluginHost.js';
import { type DamagedItem, decodeSaveSet, type FailedItem } from '../pipeline/SaveSetDecoder.js';
import { decoderFor } from './decoders.js';
import { attempt } from './attribution.js';
import { runContext, type RunServices } from './runContext.js';
import { splitKind, withDestination } from './kinds.js';

/** What a restore did. */
export interface RestoreResult {
  saveSet: string;
  target: string;
  items: number;
  bytes: number;
  damaged: DamagedItem[];
  /** Items the restore target failed to write (its errors, not the save set's). */
  failed: FailedItem[];
  /** Save sets read, oldest first (an incremental needs its ancestors). */
  read: string[];
}

export interface RestoreRequest {
  saveSet: string;
  target: KindConfig;
  /** Item paths or glob patterns; a directory path selects everything under it. Empty: everything. */
  items?: string[];
}

/**
 * Restores a save set — for an incremental, the tree as it was at that run — reading each save set of its chain
 * once, oldest first. Damaged items are reported and left out; the other items are restored.
 */
export async function runRestore(request: RestoreRequest, env: RunServices): Promise<RestoreResult> {
  const { host, catalog, log } = env;
  const warnings: RunWarning[] = [];
  const chain = await catalog.chain(request.saveSet);
  const saveSet = chain[chain.length - 1]!;
  for (const s of chain) {
    if (s.status !== 'complete') {
      throw new TapirError(
        'TAPIR_E_SAVE_SET_INCOMPLETE',
        `save set ${s.id} is ${s.status}, not complete${s.id === saveSet.id ? '' : ` (it is an ancestor of ${saveSet.id})`}; it cannot be restored`,
        { saveSet: s.id },
      );
    }
  }
  const ctx: RunContext = runContext(saveSet.job, env, (w) => warnings.push(w));
  const selected = select(await catalog.listItems({ saveSet: saveSet.id }), request.items ?? []);
  if (request.items?.length && selected.length === 0) {
    throw new TapirError('TAPIR_E_NOT_FOUND', `no item of save set ${saveSet.id} matches ${request.items.join(', ')}`, {
      saveSet: saveSet.id,
    });
  }
  const targetKind = host.require('restoreTargets', request.target.kind);
  const target: RestoreTarget = await attempt(targetKind.plugin, 'restoreTarget.create', () =>
    targetKind.value.create(splitKind(request.target), ctx),
  );
  await attempt(targetKind.plugin, 'restoreTarget.prepare', () => target.prepare());

  const damaged: DamagedItem[] = [];
  const failed: FailedItem[] = [];
  let items = 0;
  let bytes = 0;
  // Items without data first (directories; links are deferred by the target), then data save set by save set.
  for (const item of selected.filter((i) => !i.hash)) {
    await attempt(targetKind.plugin, 'restoreTarget.write', () => target.write(item, undefined));
    items++;
  }
  const bySaveSet = new Map<string, Map<string, ManifestItem>>();
  for (const item of selected.filter((i) => i.hash)) {
    const holder = item.dataSaveSet ?? saveSet.id;
    if (!bySaveSet.has(holder)) bySaveSet.set(holder, new Map());
    bySaveSet.get(holder)!.set(item.path, item);
  }
  const read: string[] = [];
  for (const holder of chain.filter((s) => bySaveSet.has(s.id))) {
    read.push(holder.id);
    const result = await readSaveSet(
      host,
      holder,
      await catalog.extents(holder.id),
      bySaveSet.get(holder.id)!,
      ctx,
      async (item, data) => {
        await target.write(item, data);
        items++;
        bytes += item.dataSize ?? 0;
      },
    );
    damaged.push(...result.damaged);
    failed.push(...result.failed);
    bySaveSet.delete(holder.id);
  }
  for (const [holder, missing] of bySaveSet) {
    for (const path of missing.keys())
      damaged.push({ path, reason: `its data is in save set ${holder}, which is not in this save set's chain` });
  }
  await attempt(targetKind.plugin, 'restoreTarget.finish', () => target.finish());
  if (damaged.length > 0)
    log.error({ damaged }, `${damaged.length} item(s) of save set ${saveSet.id} could not be restored`);
  if (failed.length > 0)
    log.error(
      { failed },
      `${failed.length} item(s) of save set ${saveSet.id} could not be written to the restore target`,
    );
  return {
    failed,
    saveSet: saveSet.id,
    target: String(request.target.path ?? request.target.kind),
    items,
    bytes,
    damaged,
    read,
  };
}

/** Reads one save set from its destination and delivers the wanted items. */
export async function readSaveSet(
  host: PluginHost,
  record: SaveSetRecord,
  extents: Extent[],
  wanted: Map<string, ManifestItem>,
  ctx: RunContext,
  deliver: (item: ManifestItem, data: AsyncIterable<Buffer>) => Promise<void>,
  readManifest = false,
) {
  return withDestination(
    host,
    { kind: record.destination.kind, ...record.destination.options },
    ctx,
    async (destination) => {
      const reader = await destination.open(extents, ctx);
      try {
        return await decodeSaveSet(reader.read(ctx.signal), {
          wanted,
          decoder: (header) => decoderFor(host, header),
          deliver,
          readManifest,
        });
      } finally {
        await reader.close();
      }
    },
  );
}

function select(items: ManifestItem[], patterns: string[]): ManifestItem[] {
  const sorted = [...items].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  if (patterns.length === 0) return sorted;
  const clean = patterns.map((p) => p.replace(/^\/+/, '').replace(/\/+$/, ''));
  const globs = clean.map((p) => picomatch(p, { dot: true }));
  const chosen = sorted.filter(
    (i) => clean.some((p) => i.path === p || i.path.startsWith(`${p}/`)) || globs.some((g) => g(i.path)),
  );
  // Keep the parent directories of what was chosen, so the restored tree has their modes and times.
  const paths = new Set(chosen.map((i) => i.path));
  const parents = sorted.filter(
    (i) => i.type === 'directory' && !paths.has(i.path) && chosen.some((c) => c.path.startsWith(`${i.path}/`)),
  );
  // A hard link needs the file it points at.
  const targets = chosen.filter((i) => i.type === 'hardlink').map((i) => i.linkTarget);
  const linked = sorted.filter((i) => targets.includes(i.path) && !paths.has(i.path));
  return [...parents, ...linked, ...chosen].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
