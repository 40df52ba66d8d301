import { join } from 'node:path';
import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../cli/BaseCommand.js';
import { ExitCode } from '../cli/exitCodes.js';
import { describeRun, runWithProgress } from '../cli/runJob.js';

export default class Backup extends BaseCommand<typeof Backup> {
  static override summary = 'Back up files and directories now, to a disk destination, without a configured job.';
  static override description = `Each run of the same --job over the same paths builds on the last complete one (--level incremental) unless --level full is given.
Save sets are pax archives: without compression, GNU tar extracts them with no tapir installed.`;
  static override examples = [
    '<%= config.bin %> backup ~/Documents',
    '<%= config.bin %> backup /etc /srv/www --to /mnt/backups --job web --exclude "*.tmp"',
    '<%= config.bin %> backup ./data --compression none --json',
  ];
  static override strict = false;
  static override args = { paths: Args.string({ description: 'files or directories to back up', required: true }) };
  static override flags = {
    to: Flags.string({ description: 'directory of the disk destination [default: <home>/backups]' }),
    job: Flags.string({ description: 'job name the save sets are recorded under', default: 'adhoc' }),
    level: Flags.option({
      options: ['full', 'incremental', 'differential'] as const,
      default: 'incremental' as const,
      description: 'backup level',
    })(),
    compression: Flags.option({
      options: ['zstd', 'none'] as const,
      default: 'zstd' as const,
      description: 'compression of item data',
    })(),
    'compression-level': Flags.integer({ description: 'zstd level, 1 (fastest) to 19', default: 3, min: 1, max: 19 }),
    include: Flags.string({ description: 'only files matching this glob (repeatable)', multiple: true }),
    exclude: Flags.string({
      description: 'leave out files and directories matching this glob (repeatable)',
      multiple: true,
    }),
  };

  async run() {
    const { flags } = this;
    const env = await this.environment(false, () => ['files']);
    const started = Date.now();
    const end = await runWithProgress(
      env,
      {
        job: flags.job,
        sources: [
          {
            kind: 'files',
            paths: this.positionals,
            ...(flags.include ? { include: flags.include } : {}),
            ...(flags.exclude ? { exclude: flags.exclude } : {}),
          },
        ],
        destination: { kind: 'disk', path: flags.to ?? join(env.home, 'backups') },
        transforms: flags.compression === 'none' ? [] : [{ kind: 'zstd', level: flags['compression-level'] }],
        level: flags.level,
        streams: 1,
      },
      this.signal,
      !this.jsonEnabled(),
    );
    if (end.status === 'failed') this.setExitCode(ExitCode.FAILED);
    this.log(describeRun(end, (Date.now() - started) / 1000));
    return end;
  }
}
