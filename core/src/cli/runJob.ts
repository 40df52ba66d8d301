import type { RunEndEvent } from '@tapir/sdk';
import type { BackupSpec } from '../run/backupRun.js';
import { runBackup } from '../run/backupRun.js';
import { formatBytes, table } from './format.js';
import type { Environment } from './Environment.js';
import { showProgress } from './progress.js';

/** Runs a backup with progress on a terminal; returns the run's end event. */
export async function runWithProgress(
  env: Environment,
  spec: BackupSpec,
  signal: AbortSignal,
  interactive: boolean,
): Promise<RunEndEvent> {
  const stop = await showProgress(env.host.hooks, interactive);
  try {
    return await runBackup(spec, env.services(signal));
  } finally {
    stop();
  }
}

/** The human summary of a run. */
export function describeRun(end: RunEndEvent, seconds: number): string {
  const lines = [`job ${end.job}, run ${end.runId}: ${end.status}`];
  lines.push(
    table([
      ['SAVE SET', 'LEVEL', 'STATUS', 'ITEMS', 'READ', 'STORED', 'OBJECT'],
      ...end.saveSets.map((s) => [
        s.saveSet,
        s.level,
        s.status,
        String(s.items),
        formatBytes(s.bytes),
        formatBytes(s.storedBytes),
        s.object,
      ]),
    ]),
  );
  const bytes = end.saveSets.reduce((n, s) => n + s.bytes, 0);
  lines.push(`${formatBytes(bytes)} in ${seconds.toFixed(1)} s (${formatBytes(bytes / Math.max(seconds, 0.001))}/s)`);
  for (const s of end.saveSets.filter((x) => x.error))
    lines.push(`error in ${s.saveSet}: ${s.error!.message} [${s.error!.code}]`);
  for (const w of end.warnings.slice(0, 20)) lines.push(`warning: ${w.message} [${w.code}]`);
  if (end.warnings.length > 20) lines.push(`… and ${end.warnings.length - 20} more warnings (see the log)`);
  return lines.join('\n');
}
