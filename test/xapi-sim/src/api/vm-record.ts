import { NULL_REF, newUuid } from '../model/opaque-ref.js';
import { XapiDateTime } from '../model/xapi-date-time.js';
import { XapiFailure } from '../model/xapi-failure.js';
import type { XapiRecord } from '../model/xapi-value.js';

/** A VM's power state, as XAPI spells it in records. */
export type PowerState = 'Halted' | 'Paused' | 'Running' | 'Suspended';

/** The operations XAPI would allow in a power state (a subset of `vm_operations`). */
export function allowedVmOperations(state: PowerState, isSnapshot: boolean, isTemplate: boolean): string[] {
  if (isSnapshot) return ['clone', 'copy', 'export', 'destroy', 'revert'];
  if (isTemplate) return ['clone', 'copy', 'export', 'destroy', 'provision'];
  switch (state) {
    case 'Running':
      return [
        'snapshot',
        'checkpoint',
        'snapshot_with_quiesce',
        'clean_shutdown',
        'hard_shutdown',
        'clean_reboot',
        'hard_reboot',
        'suspend',
        'pool_migrate',
        'pause',
      ];
    case 'Halted':
      return ['start', 'start_on', 'snapshot', 'clone', 'copy', 'export', 'destroy'];
    case 'Suspended':
      return ['resume', 'resume_on', 'hard_shutdown', 'snapshot', 'checkpoint', 'export'];
    case 'Paused':
      return ['unpause', 'hard_shutdown', 'snapshot'];
  }
}

/** `VM_BAD_POWER_STATE [vm, expected, actual]`, with XAPI's lowercase state names. */
export function badPowerState(vmRef: string, expected: PowerState, actual: PowerState): XapiFailure {
  return new XapiFailure('VM_BAD_POWER_STATE', [vmRef, expected.toLowerCase(), actual.toLowerCase()]);
}

/** A fresh `VM` record. */
export function newVmRecord(fields: {
  name_label: string;
  power_state?: PowerState;
  memoryBytes?: number;
}): XapiRecord {
  const power = fields.power_state ?? 'Halted';
  const memory = fields.memoryBytes ?? 1024 * 1024 * 1024;
  return {
    uuid: newUuid(),
    name_label: fields.name_label,
    name_description: '',
    allowed_operations: allowedVmOperations(power, false, false),
    current_operations: {},
    power_state: power,
    user_version: 1,
    is_a_template: false,
    is_default_template: false,
    is_a_snapshot: false,
    snapshot_of: NULL_REF,
    snapshots: [],
    snapshot_time: new XapiDateTime(new Date(0)),
    transportable_snapshot_id: '',
    snapshot_info: {},
    snapshot_metadata: '',
    parent: NULL_REF,
    children: [],
    is_control_domain: false,
    resident_on: NULL_REF,
    scheduled_to_be_resident_on: NULL_REF,
    affinity: NULL_REF,
    memory_overhead: 0,
    memory_target: memory,
    memory_static_max: memory,
    memory_dynamic_max: memory,
    memory_dynamic_min: memory,
    memory_static_min: memory,
    VCPUs_params: {},
    VCPUs_max: 1,
    VCPUs_at_startup: 1,
    actions_after_shutdown: 'destroy',
    actions_after_reboot: 'restart',
    actions_after_crash: 'restart',
    consoles: [],
    VIFs: [],
    VBDs: [],
    VUSBs: [],
    crash_dumps: [],
    VTPMs: [],
    PV_bootloader: '',
    PV_kernel: '',
    PV_ramdisk: '',
    PV_args: '',
    PV_bootloader_args: '',
    PV_legacy_args: '',
    HVM_boot_policy: 'BIOS order',
    HVM_boot_params: { order: 'cd' },
    HVM_shadow_multiplier: 1,
    platform: {},
    PCI_bus: '',
    other_config: {},
    domid: -1,
    domarch: '',
    last_boot_CPU_flags: {},
    metrics: NULL_REF,
    guest_metrics: NULL_REF,
    last_booted_record: '',
    recommendations: '',
    xenstore_data: {},
    ha_always_run: false,
    ha_restart_priority: '',
    tags: [],
    blocked_operations: {},
    suspend_VDI: NULL_REF,
    suspend_SR: NULL_REF,
    bios_strings: {},
    protection_policy: NULL_REF,
    is_snapshot_from_vmpp: false,
    snapshot_schedule: NULL_REF,
    is_vmss_snapshot: false,
    appliance: NULL_REF,
    start_delay: 0,
    shutdown_delay: 0,
    order: 0,
    VGPUs: [],
    attached_PCIs: [],
    version: 0,
    generation_id: '',
    hardware_platform_version: 0,
    has_vendor_device: false,
    requires_reboot: false,
    reference_label: '',
    domain_type: 'hvm',
    NVRAM: {},
  };
}
