import type { RunContext } from '@tapir/sdk';
import type { ManifestItem } from '../format/saveSetFormat.js';
import type { DamagedItem } from '../pipeline/SaveSetDecoder.js';
import { readSaveSet } from './restoreRun.js';
import { runContext, type RunServices } from './runContext.js';

/** What verifying a save set found. */
export interface VerifyResult {
  saveSet: string;
  status: string;
  ok: boolean;
  /** Items whose data was read and matched its hash. */
  verified: number;
  damaged: DamagedItem[];
  /** Problems with the archive as a whole (no manifest end, counts that disagree with the catalog). */
  problems: string[];
}

/**
 * Re-reads a save set from its medium and checks every item stored in it against its hash, and the archive's own
 * manifest against the catalog, without restoring anything.
 */
export async function runVerify(saveSetId: string, env: RunServices): Promise<VerifyResult> {
  const { host, catalog } = env;
  const record = await catalog.findSaveSet(saveSetId);
  const problems: string[] = [];
  if (record.status !== 'complete')
    problems.push(`the catalog marks it ${record.status}${record.error ? ` (${record.error})` : ''}`);
  const items = await catalog.listItems({ saveSet: record.id });
  const own = new Map<string, ManifestItem>(
    items.filter((i) => i.hash && (i.dataSaveSet ?? record.id) === record.id).map((i) => [i.path, i]),
  );
  const ctx: RunContext = runContext(record.job, env, () => {});
  let result;
  try {
    result = await readSaveSet(host, record, await catalog.extents(record.id), own, ctx, async (_item, data) => {
      for await (const _ of data) {
        // reading is verifying: the iterable throws when the hash does not match
      }
    });
  } catch (error) {
    problems.push((error as Error).message);
    return { saveSet: record.id, status: record.status, ok: false, verified: 0, damaged: [], problems };
  }
  if (!result.end) problems.push('the archive has no manifest end: it is incomplete');
  else if (result.end.items !== items.length)
    problems.push(`the archive's manifest lists ${result.end.items} items, the catalog ${items.length}`);
  const ok = problems.length === 0 && result.damaged.length === 0;
  return {
    saveSet: record.id,
    status: record.status,
    ok,
    verified: result.delivered,
    damaged: result.damaged,
    problems,
  };
}
