import { Args, Flags } from '@oclif/core';
import { RESTORE_EXIT_CODES, tapirFlags, XenCommand } from '../../cli/XenCommand.js';
import type { TapirRestoreResult } from '../../cli/tapirRestore.js';
import type { RestoredObjects } from '../../XenServerRestoreTarget.js';

/** What `tapir xen restore --json` prints. */
export type XenRestoreResult = TapirRestoreResult & Pick<RestoredObjects, 'vms' | 'vdis'>;

/** `tapir xen restore`: a xenserver save set back into a pool, through tapir's restore and the xenserver target. */
export default class XenRestore extends XenCommand {
  static override summary = 'Restore a XenServer / XCP-ng VM (or its disks) from a save set into a pool.';
  static override description = `An XVA save set becomes a VM, named as the backed-up VM was (or --name), with a new UUID and new MAC addresses, or with --keep-identity its own UUID and MACs (replacing a halted VM with that UUID; --force replaces a running one). A VHD save set (full and CBT deltas) becomes one new VDI per disk, attached to no VM unless --attach-to names a halted VM: each disk then goes to the position it had in the backed-up VM (a position in use fails the restore before any disk is attached). Everything goes to --sr (UUID or name label), else the pool's default SR. The VM stays halted unless --start; --block-start keeps it from being started at all (for a replica) until the block is removed.
The save set is read and checked by tapir's restore, as with tapir restore --target xenserver. The password comes from --password or, better, TAPIR_XEN_PASSWORD.
${RESTORE_EXIT_CODES}`;
  static override examples = [
    'TAPIR_XEN_PASSWORD=… <%= config.bin %> xen restore 3f2a9c1e --url https://xen1.example.com',
    'TAPIR_XEN_PASSWORD=… <%= config.bin %> xen restore 3f2a9c1e --url https://xen2 --sr "Local storage" --name web-copy --start',
    'TAPIR_XEN_PASSWORD=… <%= config.bin %> xen restore 3f2a9c1e --url https://xen1 --keep-identity --json',
    'TAPIR_XEN_PASSWORD=… <%= config.bin %> xen restore 8d41b07a --url https://xen1 --attach-to web-recovered',
  ];
  static override args = {
    saveSet: Args.string({ description: 'save-set id or a unique prefix of it', required: true }),
  };
  static override flags = {
    ...tapirFlags,
    sr: Flags.string({ description: 'SR for the VM or disks (UUID or name label) [default: the pool default SR]' }),
    name: Flags.string({ description: "name label of the restored VM [default: the backed-up VM's name]" }),
    // No defaults on these flags: oclif counts a flag with a default as given, which would trip dependsOn and exclusive.
    'keep-identity': Flags.boolean({
      description: "keep the VM's UUID and MAC addresses (replaces a halted VM with that UUID)",
    }),
    force: Flags.boolean({
      description: 'with --keep-identity: replace the VM even when it is running',
      dependsOn: ['keep-identity'],
    }),
    start: Flags.boolean({
      description: 'start the restored VM (it stays halted by default)',
      exclusive: ['block-start'],
    }),
    'attach-to': Flags.string({
      description:
        'VHD save sets: attach the restored disks to this halted VM (UUID or name label), at their original positions',
      exclusive: ['start', 'name'],
    }),
    'block-start': Flags.boolean({
      description:
        'keep the VM from being started, for a replica (sets its blocked_operations.start, as Xen Orchestra does)',
      default: false,
    }),
  };

  async run(): Promise<XenRestoreResult | undefined> {
    const { args, flags } = await this.parse(XenRestore);
    const outcome = await this.restoreToPool(args.saveSet, flags, {
      sr: flags.sr,
      name: flags.name,
      keepIdentity: flags['keep-identity'] ?? false,
      force: flags.force ?? false,
      start: flags.start ?? false,
      blockStart: flags['block-start'] ?? false,
      attachTo: flags['attach-to'],
    });
    if (!outcome.result) return undefined;
    const { vms, vdis } = outcome.restored;
    for (const vm of vms)
      this.log(
        `restored VM ${vm.name} (${vm.uuid})${flags.start ? ', started' : flags['block-start'] ? ', its start blocked' : ''} from ${vm.path}`,
      );
    for (const vdi of vdis)
      this.log(
        `restored ${vdi.disk} into VDI ${vdi.uuid} (${vdi.links} VHD file${vdi.links === 1 ? '' : 's'})` +
          (vdi.attachedTo ? `, attached to VM ${vdi.attachedTo.vm} as disk ${vdi.attachedTo.userdevice}` : ''),
      );
    this.log(`${outcome.result.items} items of save set ${outcome.result.saveSet} read`);
    return { ...outcome.result, vms, vdis };
  }
}
