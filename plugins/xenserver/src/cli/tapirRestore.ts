import type { Command, Config } from '@oclif/core';
import { TapirError } from '@tapir/sdk';
import { watchRestoreTargets } from '../restoreObserver.js';
import type { RestoredObjects } from '../XenServerRestoreTarget.js';

/** tapir's restore result (`tapir restore --json`), as far as the xen commands use it. */
export interface TapirRestoreResult {
  saveSet: string;
  items: number;
  bytes: number;
  damaged: Array<{ path: string; reason: string }>;
  failed: Array<{ path: string; reason: string; code: string }>;
  read: string[];
}

/** What {@link runTapirRestore} saw. */
export interface TapirRestoreOutcome {
  /** The result, when the restore ran to its end (items may still be damaged or failed: see the exit code). */
  result?: TapirRestoreResult;
  /** With `json`, the `{"error": …}` document tapir's restore produced when it failed. */
  errorJson?: unknown;
  /** What the xenserver restore target created on the pool. */
  restored: RestoredObjects;
}

/** A loaded command: concrete, whatever its declared base. */
interface LoadedCommand extends Command {
  run(): Promise<unknown>;
}

type CommandClass = (new (argv: string[], config: Config) => LoadedCommand) & {
  run(argv: string[], config: Config): Promise<unknown>;
};

/**
 * Runs `tapir restore <saveSet> --target xenserver` in this process with the given restore-target options, so the
 * save set is read, checked and decoded by tapir's restore exactly as for any other target. Its errors are printed
 * the way tapir prints them and set its exit code; its own summary line (and, with `json`, its JSON document) is held
 * back for the caller to report together with what the target created.
 *
 * @remarks Options are passed JSON-encoded, so a password such as `12345` stays a string.
 */
export async function runTapirRestore(
  config: Config,
  saveSet: string,
  options: Record<string, string | number | boolean | undefined>,
  passthrough: { json: boolean; home?: string | undefined; config?: string | undefined; logLevel?: string | undefined },
): Promise<TapirRestoreOutcome> {
  const loadable = config.findCommand('restore');
  if (!loadable) {
    throw new TapirError('TAPIR_E_PLUGIN_FAILED', "tapir's restore command is not installed", {
      plugin: 'xenserver',
    });
  }
  const Restore = (await loadable.load()) as unknown as CommandClass;
  let captured: unknown;
  class QuietRestore extends Restore {
    override log(): void {}
    override logJson(json: unknown): void {
      captured = json;
    }
  }
  const argv = [saveSet, '--target', 'xenserver'];
  for (const [key, value] of Object.entries(options))
    if (value !== undefined) argv.push('--option', `${key}=${JSON.stringify(value)}`);
  if (passthrough.home !== undefined) argv.push('--home', passthrough.home);
  if (passthrough.config !== undefined) argv.push('--config', passthrough.config);
  if (passthrough.logLevel !== undefined) argv.push('--log-level', passthrough.logLevel);
  if (passthrough.json) argv.push('--json');

  const targets: Array<{ restored: RestoredObjects }> = [];
  const stop = watchRestoreTargets((target) => targets.push(target));
  let result: unknown;
  try {
    result = await QuietRestore.run(argv, config);
  } finally {
    stop();
  }
  const restored: RestoredObjects = { vms: [], vdis: [], healthChecks: [] };
  for (const target of targets) {
    restored.vms.push(...target.restored.vms);
    restored.vdis.push(...target.restored.vdis);
    restored.healthChecks.push(...target.restored.healthChecks);
  }
  const failedJson =
    captured !== null && typeof captured === 'object' && 'error' in (captured as Record<string, unknown>);
  return {
    ...(result !== undefined && !failedJson ? { result: result as TapirRestoreResult } : {}),
    ...(failedJson ? { errorJson: captured } : {}),
    restored,
  };
}
