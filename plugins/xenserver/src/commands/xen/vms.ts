import { Flags } from '@oclif/core';
import { XenCommand } from '../../cli/XenCommand.js';
import { listPoolVms, type PoolVm } from '../../poolVms.js';

/** `tapir xen vms`: the VMs of a pool, with their power state, host and disks. */
export default class XenVms extends XenCommand {
  static override summary = 'List the VMs of a XenServer / XCP-ng pool: UUID, name, power state, host, disks.';
  static override description = `Templates, snapshots and control domains are left out. DISKS lists userdevice:size; --json adds each disk's UUID, name and SR. The password comes from --password or, better, the TAPIR_XEN_PASSWORD environment variable; it is never printed.`;
  static override examples = [
    'TAPIR_XEN_PASSWORD=… <%= config.bin %> xen vms --url https://xen1.example.com',
    'TAPIR_XEN_PASSWORD=… <%= config.bin %> xen vms --url https://xen1.example.com --name "web-*" --json',
  ];
  static override flags = {
    name: Flags.string({ description: 'only VMs whose name matches (* and ? as wildcards)' }),
  };

  async run(): Promise<{ vms: PoolVm[] }> {
    const { flags } = await this.parse(XenVms);
    const conn = await this.connect(flags);
    let vms: PoolVm[];
    try {
      vms = await listPoolVms(conn);
    } finally {
      await conn.close();
    }
    if (flags.name !== undefined) {
      const pattern = new RegExp(
        `^${flags.name
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*/g, '.*')
          .replace(/\?/g, '.')}$`,
      );
      vms = vms.filter((vm) => pattern.test(vm.name));
    }
    if (!this.jsonEnabled()) this.printTable(vms);
    return { vms };
  }

  private printTable(vms: PoolVm[]): void {
    const rows = [
      ['UUID', 'NAME', 'POWER', 'HOST', 'DISKS'],
      ...vms.map((vm) => [
        vm.uuid,
        vm.name,
        vm.powerState,
        vm.host ?? '-',
        vm.disks.map((d) => `${d.userdevice}:${formatBytes(d.sizeBytes)}`).join(', ') || '-',
      ]),
    ];
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const row of rows)
      this.log(row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  '));
    if (vms.length === 0) this.log('(no VMs)');
  }
}

function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit]}`;
}
