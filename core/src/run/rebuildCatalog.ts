import { type Extent, TapirError } from '@tapir/sdk';
import type { Catalog } from '../catalog/Catalog.js';
import type { KindConfig } from '../config/types.js';
import type { ManifestItem, SaveSetHeader } from '../format/saveSetFormat.js';
import { decodeSaveSet } from '../pipeline/SaveSetDecoder.js';
import { attempt } from './attribution.js';
import { decoderFor } from './decoders.js';
import { splitKind, withDestination } from './kinds.js';
import { runContext, type RunServices } from './runContext.js';

/** What a catalog rebuild found for one stored save set. */
export interface RebuiltSaveSet {
  saveSet?: string;
  job?: string;
  level?: string;
  /** `imported`, `present` (already in the catalog), `incomplete` (no manifest end), `orphan` (its parent is
   * neither in the catalog nor on this destination), `unreadable`. */
  outcome: 'imported' | 'present' | 'incomplete' | 'orphan' | 'unreadable';
  items?: number;
  detail?: string;
}

/**
 * Rebuilds catalog entries from what a destination holds: reads every stored save set's header and manifest (no item
 * data), and imports the complete ones the catalog lacks, parents before children. Running it twice imports nothing
 * the second time.
 */
export async function rebuildCatalog(destination: KindConfig, env: RunServices): Promise<RebuiltSaveSet[]> {
  const { host, catalog } = env;
  const ctx = runContext('catalog-rebuild', env, () => {});
  const provided = host.require('destinations', destination.kind);
  const found: Array<{ header: SaveSetHeader; manifest: ManifestItem[]; extents: Extent[]; bytes: number }> = [];
  const results: RebuiltSaveSet[] = [];
  await withDestination(host, destination, ctx, async (opened) => {
    if (!opened.list) {
      throw new TapirError(
        'TAPIR_E_PLUGIN_FAILED',
        `the ${destination.kind} destination cannot list what it stores, so the catalog cannot be rebuilt from it`,
        { plugin: provided.plugin },
      );
    }
    const stored = await attempt(provided.plugin, 'destination.list', () => opened.list!(ctx));
    for (const extents of stored) {
      try {
        const reader = await opened.open(extents, ctx);
        try {
          const decoded = await decodeSaveSet(reader.read(ctx.signal), {
            wanted: new Map(),
            decoder: (h) => decoderFor(host, h),
            deliver: async () => {},
            readManifest: true,
          });
          if (!decoded.end || !decoded.manifest) {
            results.push({
              saveSet: decoded.header.id,
              job: decoded.header.job,
              outcome: 'incomplete',
              detail: 'the archive has no manifest end',
            });
            continue;
          }
          found.push({ header: decoded.header, manifest: decoded.manifest, extents, bytes: decoded.end.bytes });
        } finally {
          await reader.close();
        }
      } catch (error) {
        results.push({
          outcome: 'unreadable',
          detail: `${JSON.stringify(extents.map((e) => e.location))}: ${(error as Error).message}`,
        });
      }
    }
  });
  // Parents first: a save set is always newer than its parent.
  found.sort((a, b) => a.header.startedAt.localeCompare(b.header.startedAt));
  const known = new Set<string>();
  for (const f of found) {
    const { header } = f;
    if (await exists(catalog, header.id)) {
      known.add(header.id);
      results.push({ saveSet: header.id, job: header.job, level: header.level, outcome: 'present' });
      continue;
    }
    if (header.parent && !known.has(header.parent) && !(await exists(catalog, header.parent))) {
      results.push({
        saveSet: header.id,
        job: header.job,
        level: header.level,
        outcome: 'orphan',
        detail: `its parent ${header.parent} is not in the catalog or on this destination`,
      });
      continue;
    }
    const runId = await catalog.beginRun(header.job);
    await catalog.createSaveSet({
      header,
      runId,
      destination: { kind: destination.kind, options: splitKind(destination) },
    });
    await catalog.addItems(header.id, f.manifest);
    const storedBytes = f.extents.reduce((n, e) => n + e.bytes, 0);
    await catalog.completeSaveSet(header.id, f.extents, { items: f.manifest.length, bytes: f.bytes, storedBytes });
    await catalog.endRun(runId, 'ok');
    known.add(header.id);
    results.push({
      saveSet: header.id,
      job: header.job,
      level: header.level,
      outcome: 'imported',
      items: f.manifest.length,
    });
  }
  return results;
}

async function exists(catalog: Catalog, id: string): Promise<boolean> {
  return catalog.findSaveSet(id).then(
    () => true,
    () => false,
  );
}
