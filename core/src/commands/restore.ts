import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../cli/BaseCommand.js';
import { ExitCode } from '../cli/exitCodes.js';
import { formatBytes } from '../cli/format.js';
import { runRestore } from '../run/restoreRun.js';

export default class Restore extends BaseCommand<typeof Restore> {
  static override summary = 'Restore a save set (the tree as it was at that run) into a directory.';
  static override description = `The target must be empty or not exist, unless --overwrite. Items whose data is damaged are reported and left out; everything else is restored, and the exit code is 4.`;
  static override examples = [
    '<%= config.bin %> restore 3f2a9c1e --to /tmp/restore',
    '<%= config.bin %> restore 3f2a9c1e --item home/alice/notes.txt --item "home/alice/src/**" --to /tmp/r',
  ];
  static override args = {
    saveSet: Args.string({ description: 'save-set id or a unique prefix of it', required: true }),
  };
  static override flags = {
    to: Flags.string({ description: 'directory to restore into', required: true }),
    item: Flags.string({ description: 'restore only this path, directory or glob (repeatable)', multiple: true }),
    overwrite: Flags.boolean({ description: 'restore into a non-empty directory, replacing files', default: false }),
  };

  async run() {
    const env = await this.environment();
    const result = await runRestore(
      {
        saveSet: this.args.saveSet,
        target: { kind: 'files', path: this.flags.to, overwrite: this.flags.overwrite },
        items: this.flags.item ?? [],
      },
      env.services(this.signal),
    );
    this.log(
      `restored ${result.items} items (${formatBytes(result.bytes)}) of save set ${result.saveSet} to ${this.flags.to}`,
    );
    for (const d of result.damaged) this.logToStderr(`damaged: ${d.path}: ${d.reason}`);
    if (result.damaged.length > 0) this.setExitCode(ExitCode.DAMAGED);
    return result;
  }
}
