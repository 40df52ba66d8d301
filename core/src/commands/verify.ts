import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../cli/BaseCommand.js';
import { ExitCode } from '../cli/exitCodes.js';
import { type VerifyResult, runVerify } from '../run/verifyRun.js';

export default class Verify extends BaseCommand<typeof Verify> {
  static override summary = 'Re-read save sets from their media and check every item against its hash.';
  static override examples = [
    '<%= config.bin %> verify 3f2a9c1e',
    '<%= config.bin %> verify --all --job nightly --json',
  ];
  static override strict = false;
  static override args = { saveSet: Args.string({ description: 'save-set ids or unique prefixes' }) };
  static override flags = {
    all: Flags.boolean({ description: 'verify every complete save set (of --job, when given)', default: false }),
    job: Flags.string({ description: 'with --all: only this job' }),
  };

  async run() {
    const env = await this.environment();
    const ids = [...this.positionals];
    if (this.flags.all) {
      ids.push(
        ...(
          await env.catalog.listSaveSets({
            status: 'complete',
            ...(this.flags.job ? { job: this.flags.job } : {}),
            limit: 100_000,
          })
        ).map((s) => s.id),
      );
    }
    if (ids.length === 0) this.error('name a save set, or use --all', { exit: ExitCode.USAGE });
    const results: VerifyResult[] = [];
    for (const id of ids) {
      const r = await runVerify(id, env.services(this.signal));
      results.push(r);
      this.log(`${r.saveSet}: ${r.ok ? 'ok' : 'DAMAGED'} (${r.verified} items verified)`);
      for (const d of r.damaged) this.log(`  damaged: ${d.path}: ${d.reason}`);
      for (const p of r.problems) this.log(`  problem: ${p}`);
    }
    const ok = results.every((r) => r.ok);
    if (!ok) this.setExitCode(ExitCode.DAMAGED);
    return { ok, saveSets: results };
  }
}
