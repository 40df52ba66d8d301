import { Args, Flags } from '@oclif/core';
import { TapirError } from '@tapir/sdk';
import { BaseCommand } from '../cli/BaseCommand.js';
import { ExitCode } from '../cli/exitCodes.js';
import { formatBytes } from '../cli/format.js';
import { validateOptions } from '../config/loadConfig.js';
import type { KindConfig } from '../config/types.js';
import { runRestore } from '../run/restoreRun.js';

export default class Restore extends BaseCommand<typeof Restore> {
  static override summary =
    'Restore a save set (the tree as it was at that run) into a directory or another restore target.';
  static override description = `With --to, items are restored as files into a directory, which must be empty or not exist (unless --overwrite).
With --target, they go to a restore target a plugin provides (e.g. a hypervisor pool): a name from restoreTargets in the configuration, or a kind with its options given as --option key=value.
Items whose data is damaged are reported and left out; everything else is restored, and the exit code is 4.`;
  static override examples = [
    '<%= config.bin %> restore 3f2a9c1e --to /tmp/restore',
    '<%= config.bin %> restore 3f2a9c1e --item home/alice/notes.txt --item "home/alice/src/**" --to /tmp/r',
    '<%= config.bin %> restore 3f2a9c1e --target pool-b            # restoreTargets.pool-b in tapir.yaml',
    '<%= config.bin %> restore 3f2a9c1e --target xenserver --option url=https://xen1 --option keepIdentity=true',
  ];
  static override args = {
    saveSet: Args.string({ description: 'save-set id or a unique prefix of it', required: true }),
  };
  static override flags = {
    to: Flags.string({ description: 'directory to restore files into', exactlyOne: ['to', 'target'] }),
    target: Flags.string({
      description: 'restore target: a name from restoreTargets in the configuration, or a restore target kind',
      exactlyOne: ['to', 'target'],
    }),
    option: Flags.string({
      description: 'key=value option of --target (repeatable; values are JSON when they parse as JSON)',
      multiple: true,
      dependsOn: ['target'],
    }),
    item: Flags.string({ description: 'restore only this path, directory or glob (repeatable)', multiple: true }),
    overwrite: Flags.boolean({
      description: 'with --to: restore into a non-empty directory, replacing files',
      default: false,
    }),
  };

  async run() {
    const env = await this.environment();
    const target = this.flags.to
      ? { kind: 'files', path: this.flags.to, overwrite: this.flags.overwrite }
      : this.namedTarget(env.config.restoreTargets);
    if (!this.flags.to) {
      const { kind, ...options } = target;
      const { value, plugin } = env.host.require('restoreTargets', kind);
      Object.assign(
        target,
        validateOptions(value.schema, options, `restore target ${this.flags.target}`, {
          plugin,
          what: `restore target kind "${kind}"`,
        }),
      );
    }
    const result = await runRestore(
      { saveSet: this.args.saveSet, target, items: this.flags.item ?? [] },
      env.services(this.signal),
    );
    this.log(
      `restored ${result.items} items (${formatBytes(result.bytes)}) of save set ${result.saveSet} to ${this.flags.to ?? this.flags.target}`,
    );
    for (const d of result.damaged) this.logToStderr(`damaged: ${d.path}: ${d.reason}`);
    for (const f of result.failed) this.logToStderr(`failed: ${f.path}: ${f.reason} [${f.code}]`);
    // A target's failure outranks damage: the operator must act on it before trusting the restore.
    if (result.failed.length > 0) this.setExitCode(ExitCode.FAILED);
    else if (result.damaged.length > 0) this.setExitCode(ExitCode.DAMAGED);
    return result;
  }

  /** `--target name` from the configuration, or `--target kind`, with `--option` values on top. */
  private namedTarget(configured: Record<string, KindConfig>): KindConfig {
    const name = this.flags.target!;
    const base: KindConfig = configured[name] ? { ...configured[name] } : { kind: name };
    for (const option of this.flags.option ?? []) {
      const eq = option.indexOf('=');
      if (eq <= 0) throw new TapirError('TAPIR_E_CONFIG_INVALID', `--option ${option}: expected key=value`, { option });
      const raw = option.slice(eq + 1);
      let value: unknown = raw;
      try {
        value = JSON.parse(raw);
      } catch {
        // a plain string
      }
      base[option.slice(0, eq)] = value;
    }
    return base;
  }
}
