import { Args, Flags } from '@oclif/core';
import { RESTORE_EXIT_CODES, tapirFlags, XenCommand } from '../../cli/XenCommand.js';
import type { TapirRestoreResult } from '../../cli/tapirRestore.js';
import type { HealthCheckReport } from '../../VmHealthCheck.js';

/** What `tapir xen health-check --json` prints. */
export type XenHealthCheckResult = TapirRestoreResult & { healthChecks: HealthCheckReport[] };

/** `tapir xen health-check`: restore a save set as a copy, start it, check it comes up, remove it. */
export default class XenHealthCheck extends XenCommand {
  static override summary = 'Check that a VM save set boots: restore it as a copy, start it, watch it, remove it.';
  static override description = `The XVA save set is restored as a new VM (new UUID and MACs, named "<vm> (tapir health check)") on --sr or the pool's default SR, its network interfaces removed (unless --keep-network) so it cannot clash with the original, and started. The check passes when the VM runs and, if the backed-up VM had guest tools that reported, when its guest metrics appear, within --timeout. The copy is shut down and destroyed with its disks whatever happened: nothing is left on the pool.
Only XVA save sets (format: xva) can be checked. The password comes from --password or, better, TAPIR_XEN_PASSWORD.
${RESTORE_EXIT_CODES} A failed check is 1, with the report in the error's context.healthCheck.`;
  static override examples = [
    'TAPIR_XEN_PASSWORD=… <%= config.bin %> xen health-check 3f2a9c1e --url https://xen1.example.com',
    'TAPIR_XEN_PASSWORD=… <%= config.bin %> xen health-check 3f2a9c1e --url https://xen1 --sr "Local storage" --timeout 600 --json',
  ];
  static override args = {
    saveSet: Args.string({ description: 'save-set id or a unique prefix of it', required: true }),
  };
  static override flags = {
    ...tapirFlags,
    sr: Flags.string({ description: 'SR for the copy (UUID or name label) [default: the pool default SR]' }),
    timeout: Flags.integer({
      description: 'seconds the VM has to start and report guest metrics',
      default: 300,
      min: 1,
    }),
    'keep-network': Flags.boolean({
      description: "keep the copy's network interfaces (by default removed, so it cannot clash with the original)",
      default: false,
    }),
  };

  async run(): Promise<XenHealthCheckResult | undefined> {
    const { args, flags } = await this.parse(XenHealthCheck);
    const outcome = await this.restoreToPool(args.saveSet, flags, {
      sr: flags.sr,
      healthCheck: true,
      healthCheckTimeoutSeconds: flags.timeout,
      healthCheckNetwork: flags['keep-network'],
    });
    if (!outcome.result) return undefined;
    const { healthChecks } = outcome.restored;
    for (const check of healthChecks) {
      this.log(
        `health check passed: VM ${check.vm.name} from ${check.path} was ${check.powerState} after ${check.seconds.toFixed(1)} s${
          check.guestMetrics
            ? ' and reported guest metrics'
            : check.guestMetrics === null
              ? ' (no guest tools: power state only)'
              : ''
        }; the copy was removed`,
      );
    }
    return { ...outcome.result, healthChecks };
  }
}
