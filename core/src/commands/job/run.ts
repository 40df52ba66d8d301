import { Args, Flags } from '@oclif/core';
import { TapirError } from '@tapir/sdk';
import { BaseCommand } from '../../cli/BaseCommand.js';
import { ExitCode } from '../../cli/exitCodes.js';
import { describeRun, runWithProgress } from '../../cli/runJob.js';

export default class JobRun extends BaseCommand<typeof JobRun> {
  static override summary = 'Run a job from the configuration.';
  static override examples = [
    '<%= config.bin %> job run nightly',
    '<%= config.bin %> job run nightly --level full --json',
  ];
  static override args = {
    name: Args.string({ description: 'job name (a key of `jobs` in the configuration)', required: true }),
  };
  static override flags = {
    level: Flags.option({
      options: ['full', 'incremental', 'differential'] as const,
      description: "override the job's level for this run",
    })(),
  };

  async run() {
    const env = await this.environment(true, (raw) => sourceKindsOf(raw, this.args.name));
    const job = env.config.jobs[this.args.name];
    if (!job) {
      const known = Object.keys(env.config.jobs).join(', ') || '(none)';
      throw new TapirError(
        'TAPIR_E_JOB_NOT_FOUND',
        `no job "${this.args.name}" in ${env.configFile}; configured jobs: ${known}`,
        { job: this.args.name, path: env.configFile },
      );
    }
    const destination =
      typeof job.destination === 'string' ? env.config.destinations[job.destination]! : job.destination;
    const started = Date.now();
    const end = await runWithProgress(
      env,
      {
        job: this.args.name,
        sources: job.sources,
        destination,
        transforms: job.transforms,
        notifiers: job.notifiers,
        level: this.flags.level ?? job.level,
        streams: job.streams,
      },
      this.signal,
      !this.jsonEnabled(),
    );
    if (end.status === 'failed') this.setExitCode(ExitCode.FAILED);
    this.log(describeRun(end, (Date.now() - started) / 1000));
    return end;
  }
}

/** The source kinds a job names in a configuration as read (anything else is left to validation). */
function sourceKindsOf(raw: unknown, name: string): string[] {
  const sources = (raw as { jobs?: Record<string, { sources?: unknown }> } | null)?.jobs?.[name]?.sources;
  if (!Array.isArray(sources)) return [];
  return sources.map((s) => (s as { kind?: unknown } | null)?.kind).filter((k): k is string => typeof k === 'string');
}
