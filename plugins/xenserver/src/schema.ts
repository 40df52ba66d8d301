import type { JSONSchema } from '@tapir/sdk';

/** SEP's four ways to get a consistent VM image (see the plugin README). */
export type BackupMethod = 'offline' | 'live-memory' | 'quiesced' | 'snapshot';

/** How the VM's data is stored: one XVA of the whole VM, or one VHD per disk (with CBT incrementals). */
export type ExportFormat = 'xva' | 'vhd';

/** Connection options shared by the source and the restore target. */
export interface PoolOptions {
  /** Any pool member, e.g. `https://xen1.example.com`; the master is followed. */
  url: string;
  /** @defaultValue root */
  username?: string;
  /** Never logged. */
  password: string;
  /** Accept self-signed TLS certificates. @defaultValue true */
  allowUnauthorized?: boolean;
  /** @defaultValue 30000 */
  connectTimeoutMs?: number;
}

/** Options of a `kind: xenserver` source: one VM, or a selection of VMs (one save set per VM). */
export interface XenServerSourceOptions extends PoolOptions {
  /** The VM's UUID or name label (a name must be unique in the pool). */
  vm?: string;
  /** Several VMs (UUIDs or names): the source is split into one per VM, each its own save set (bounded by `streams`). */
  vms?: string[];
  /** Every VM carrying any of these tags (with `vms`: those too). Templates and snapshots are never selected. */
  tags?: string[];
  /** `true`: every VM of the pool (not templates, snapshots or control domains). */
  pool?: true;
  /** @defaultValue snapshot */
  method?: BackupMethod;
  /** @defaultValue xva */
  format?: ExportFormat;
  /** Host-side compression of an XVA export. tapir's own transforms usually do better. @defaultValue none */
  compression?: 'none' | 'gzip' | 'zstd';
  /** VHD format: changed-block tracking and delta exports. @defaultValue true */
  cbt?: boolean;
  /** VHD format: start a new chain with a full export after this many deltas. @defaultValue 30 */
  fullEvery?: number;
}

/** Options of a `kind: xenserver` restore target. */
export interface XenServerRestoreOptions extends PoolOptions {
  /** SR (UUID or name label) for the imported VM or VDIs. @defaultValue the pool's default SR */
  sr?: string;
  /** XVA: the restored VM's name label. @defaultValue the backed-up VM's name (not its snapshot's) */
  name?: string;
  /** XVA: keep the VM's UUID and MAC addresses (replaces a halted VM with that UUID). @defaultValue false */
  keepIdentity?: boolean;
  /** XVA with keepIdentity: replace the VM even when it is running. @defaultValue false */
  force?: boolean;
  /** Start the restored VM. @defaultValue false */
  start?: boolean;
  /**
   * XVA: keep the restored VM from being started (for replicas): `blocked_operations.start` is set, as Xen
   * Orchestra does, until someone removes it. Excludes start and healthCheck. @defaultValue false
   */
  blockStart?: boolean;
  /**
   * XVA: restore as a new VM, start it, wait until it runs (and reports guest metrics when the backed-up VM did),
   * then shut it down and destroy it with its disks, whatever happened. Excludes keepIdentity. @defaultValue false
   */
  healthCheck?: boolean;
  /** Time the health check gives the VM to start and report guest metrics. @defaultValue 300 */
  healthCheckTimeoutSeconds?: number;
  /**
   * Keep the VM's network interfaces during the health check. By default they are removed before it starts, so the
   * copy cannot clash with the original (same IP addresses) on the network. @defaultValue false
   */
  healthCheckNetwork?: boolean;
  /**
   * VHD: attach the restored disks to this halted VM (UUID or name label), each at the position (`userdevice`) it had
   * in the backed-up VM, disk 0 bootable. A position already in use fails the restore before any disk is attached,
   * and the VDIs stay restored and unattached. Excludes healthCheck. @defaultValue the VDIs are attached to no VM
   */
  attachTo?: string;
}

const pool = {
  url: { type: 'string', pattern: '^https?://', description: 'Any pool member; the master is followed' },
  username: { type: 'string', minLength: 1, default: 'root' },
  password: { type: 'string', description: 'Never logged' },
  allowUnauthorized: { type: 'boolean', default: true },
  connectTimeoutMs: { type: 'integer', minimum: 100, default: 30000 },
} as const;

/** JSON Schema of {@link XenServerSourceOptions}. */
export const sourceSchema: JSONSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['url', 'password'],
  // One VM (`vm`), or a selection (`vms`, `tags`, `pool`, which combine), never both.
  oneOf: [
    { required: ['vm'], not: { anyOf: [{ required: ['vms'] }, { required: ['tags'] }, { required: ['pool'] }] } },
    { anyOf: [{ required: ['vms'] }, { required: ['tags'] }, { required: ['pool'] }], not: { required: ['vm'] } },
  ],
  properties: {
    ...pool,
    vm: { type: 'string', minLength: 1, description: 'VM UUID or unique name label' },
    vms: {
      type: 'array',
      minItems: 1,
      uniqueItems: true,
      items: { type: 'string', minLength: 1 },
      description: 'several VMs (UUIDs or names), one save set each',
    },
    tags: {
      type: 'array',
      minItems: 1,
      uniqueItems: true,
      items: { type: 'string', minLength: 1 },
      description: 'every VM carrying any of these tags, one save set each',
    },
    pool: { const: true, description: 'every VM of the pool, one save set each' },
    method: { enum: ['offline', 'live-memory', 'quiesced', 'snapshot'], default: 'snapshot' },
    format: { enum: ['xva', 'vhd'], default: 'xva' },
    compression: { enum: ['none', 'gzip', 'zstd'], default: 'none' },
    cbt: { type: 'boolean', default: true },
    fullEvery: { type: 'integer', minimum: 1, default: 30 },
  },
};

/** JSON Schema of {@link XenServerRestoreOptions}. */
export const restoreSchema: JSONSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['url', 'password'],
  properties: {
    ...pool,
    sr: { type: 'string', minLength: 1 },
    name: { type: 'string', minLength: 1, description: "the restored VM's name label (default: the backed-up VM's)" },
    keepIdentity: { type: 'boolean', default: false },
    force: { type: 'boolean', default: false },
    start: { type: 'boolean', default: false },
    blockStart: { type: 'boolean', default: false, description: 'keep the restored VM from being started (replicas)' },
    healthCheck: { type: 'boolean', default: false, description: 'start the restored VM, check it, remove it' },
    healthCheckTimeoutSeconds: { type: 'integer', minimum: 1, default: 300 },
    healthCheckNetwork: { type: 'boolean', default: false },
    attachTo: {
      type: 'string',
      minLength: 1,
      description: 'a halted VM (UUID or name) to attach the restored disks (format: vhd) to, at their positions',
    },
  },
};
