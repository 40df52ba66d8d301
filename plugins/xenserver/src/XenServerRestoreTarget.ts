import type { ItemMeta, RestoreTarget, RunContext } from '@tapir/sdk';
import { TapirError } from '@tapir/sdk';
import { parseLinkPath } from './cbtChain.js';
import type { XenServerRestoreOptions } from './schema.js';
import { type HealthCheckReport, type HealthCheckSubject, healthCheckVm, removeVm } from './VmHealthCheck.js';
import { XapiConnection, type XapiRecord } from './XapiConnection.js';
import { findVm, type VmHandle } from './vmInventory.js';

/** What a restore created on the pool. */
export interface RestoredObjects {
  /** VMs imported from XVA items, by item path, with the name label they were given. */
  vms: Array<{ path: string; ref: string; uuid: string; name: string }>;
  /**
   * VDIs made from VHD chains, by disk (the item path without its sequence number); with `attachTo`, the VM and
   * position each was attached at.
   */
  vdis: Array<{
    disk: string;
    ref: string;
    uuid: string;
    links: number;
    attachedTo?: { vm: string; userdevice: string };
  }>;
  /** With `healthCheck`: what each check saw. Those VMs are gone again and are not in `vms`. */
  healthChecks: HealthCheckReport[];
}

/** The reason a `blockStart` restore leaves in the VM's `blocked_operations` (XAPI shows it to whoever tries). */
const BLOCK_START_REASON = 'restored by tapir as a replica: remove this blocked operation to start it';

const VHD_FOOTER = 512;
const VHD_FIXED = 2;
const VHD_DIFFERENCING = 4;

/**
 * Restores a xenserver save set into a pool: an XVA becomes a VM (new, or with its UUID and MACs), a VHD chain
 * (a full and its deltas, oldest first) becomes a new VDI. Other items (`vm.json`) are read and not written.
 *
 * @remarks With `healthCheck`, each VM restored from an XVA is started, watched and destroyed again with its
 * disks (see {@link healthCheckVm}); nothing stays on the pool, and a check that fails fails the restore.
 */
export class XenServerRestoreTarget implements RestoreTarget {
  /** What this restore created; filled as it goes. */
  readonly restored: RestoredObjects = { vms: [], vdis: [], healthChecks: [] };
  private conn: XapiConnection | undefined;
  private srRef: string | undefined;
  private metadata: VmMetadata | undefined;
  private readonly disks = new Map<string, { ref: string; uuid: string; links: number }>();
  /** With `attachTo`: the halted VM the restored disks are attached to. */
  private attachVm: VmHandle | undefined;
  /**
   * The first failed health check, or an item this restore cannot take as asked, raised by `finish`: tapir reports
   * errors from `write` as damaged items.
   */
  private healthCheckFailure: unknown;

  constructor(
    private readonly options: XenServerRestoreOptions,
    private readonly ctx: RunContext,
  ) {}

  async prepare(): Promise<void> {
    if (this.options.healthCheck && (this.options.keepIdentity || this.options.force)) {
      throw new TapirError(
        'TAPIR_E_CONFIG_INVALID',
        'healthCheck restores a copy and destroys it afterwards: it cannot be combined with keepIdentity or force',
        { option: 'healthCheck' },
      );
    }
    if (this.options.attachTo && (this.options.healthCheck || this.options.keepIdentity)) {
      throw new TapirError(
        'TAPIR_E_CONFIG_INVALID',
        `attachTo attaches restored disks (format: vhd) to a VM; ${this.options.healthCheck ? 'healthCheck' : 'keepIdentity'} is for whole VMs (format: xva): use one of them`,
        { option: 'attachTo' },
      );
    }
    if (this.options.blockStart && (this.options.start || this.options.healthCheck)) {
      throw new TapirError(
        'TAPIR_E_CONFIG_INVALID',
        'blockStart keeps the restored VM from starting: it cannot be combined with start or healthCheck',
        { option: 'blockStart' },
      );
    }
    this.conn = await XapiConnection.open(this.options, 'TAPIR_E_RESTORE_TARGET');
    this.srRef = await this.findSr(this.conn);
    if (this.options.attachTo) this.attachVm = await this.findAttachVm(this.conn, this.options.attachTo);
  }

  async write(item: ItemMeta, data: AsyncIterable<Uint8Array> | undefined): Promise<void> {
    const conn = this.connection();
    if (data === undefined) return;
    if (item.path.endsWith('.xva') && this.attachVm) {
      this.healthCheckFailure ??= new TapirError(
        'TAPIR_E_RESTORE_TARGET',
        `attachTo attaches disks (format: vhd), and ${item.path} is a whole VM (format: xva); restore it without attachTo`,
        { item: item.path },
      );
      return;
    }
    if (item.path.endsWith('.xva')) return this.importXva(conn, item, data);
    const link = parseLinkPath(item.path);
    if (link && this.options.healthCheck) {
      this.healthCheckFailure ??= new TapirError(
        'TAPIR_E_RESTORE_TARGET',
        `a health check needs a whole VM, and ${item.path} is a disk (format: vhd); health-check save sets made with format: xva`,
        { item: item.path },
      );
      return;
    }
    if (link) return this.importVhd(conn, item, link.disk, data);
    const chunks: Buffer[] = [];
    for await (const chunk of data) chunks.push(Buffer.from(chunk));
    if (item.path.endsWith('/vm.json')) this.metadata = parseMetadata(Buffer.concat(chunks));
  }

  async finish(): Promise<void> {
    try {
      for (const [disk, vdi] of this.disks) this.restored.vdis.push({ disk, ...vdi });
      if (this.attachVm && this.healthCheckFailure === undefined) await this.attach(this.connection(), this.attachVm);
      for (const check of this.restored.healthChecks) {
        this.ctx.log.info(
          { vm: check.vm.uuid, healthCheck: check },
          `health check passed: VM ${check.vm.name} from ${check.path} was Running after ${check.seconds.toFixed(1)} s${check.guestMetrics ? ' and reported guest metrics' : ''}; it was removed again`,
        );
      }
      if (this.healthCheckFailure !== undefined) throw this.healthCheckFailure;
      if (this.options.healthCheck && this.restored.healthChecks.length === 0) {
        throw new TapirError(
          'TAPIR_E_RESTORE_TARGET',
          'healthCheck: nothing was checked, the items restored hold no VM (vms/<uuid>/vm.xva)',
        );
      }
      for (const vm of this.restored.vms) this.ctx.log.info({ vm: vm.uuid }, `restored VM ${vm.uuid} from ${vm.path}`);
      for (const vdi of this.restored.vdis)
        this.ctx.log.info(
          { vdi: vdi.uuid, attachedTo: vdi.attachedTo },
          `restored ${vdi.disk} into VDI ${vdi.uuid} (${vdi.links} VHD file(s))` +
            (vdi.attachedTo ? `, attached to VM ${vdi.attachedTo.vm} as disk ${vdi.attachedTo.userdevice}` : ''),
        );
    } finally {
      await this.conn?.close();
    }
  }

  private async importXva(conn: XapiConnection, item: ItemMeta, data: AsyncIterable<Uint8Array>): Promise<void> {
    const query: Record<string, string> = {};
    if (this.srRef) query.sr_id = this.srRef;
    if (this.options.keepIdentity && !this.options.healthCheck) query.restore = 'true';
    if (this.options.force) query.force = 'true';
    // A snapshot's export carries the snapshot's UUID: to restore the VM's own, ova.xml is given the VM's UUID
    // (same length, so the tar stays valid). vm.json comes before vm.xva in the save set.
    const meta = this.metadata;
    const rename =
      this.options.keepIdentity &&
      !this.options.healthCheck &&
      meta?.vmUuid &&
      meta.captureUuid &&
      meta.captureUuid !== meta.vmUuid &&
      meta.captureUuid.length === meta.vmUuid.length
        ? { from: meta.captureUuid, to: meta.vmUuid }
        : undefined;
    const body = rewriteOvaXml(data, rename);
    const result = await conn.upload('/import', query, body, dataSize(item), `import of ${item.path}`);
    const refs = Array.isArray(result) ? result.map(String) : [String(result)];
    if (this.options.healthCheck) return this.healthCheck(conn, refs, item.path);
    for (const ref of refs) {
      const uuid = await conn.call<string>('VM.get_uuid', ref);
      // The export of a snapshot imports as a template; the restored machine is a VM again.
      if ((await conn.call<boolean>('VM.get_is_a_template', ref)) === true)
        await conn.call('VM.set_is_a_template', ref, false);
      // The export of a snapshot carries the snapshot's name ("tapir <job> <time>"): the VM gets its own back.
      const name = this.options.name ?? this.metadata?.name;
      if (name !== undefined) await conn.call('VM.set_name_label', ref, name);
      this.restored.vms.push({
        path: item.path,
        ref,
        uuid,
        name: name ?? (await conn.call<string>('VM.get_name_label', ref)),
      });
      if (this.options.blockStart) {
        // As Xen Orchestra marks replicas: the VM cannot be started by accident, until someone removes the block.
        await conn.call('VM.remove_from_blocked_operations', ref, 'start');
        await conn.call('VM.add_to_blocked_operations', ref, 'start', BLOCK_START_REASON);
      }
      if (this.options.start) await conn.callAsync('VM.start', ref, false, false);
    }
  }

  /**
   * Health-checks the VMs an import created, right after it, so they are removed even when the restore stops
   * before `finish`. VMs not checked yet when one fails are removed too.
   */
  private async healthCheck(conn: XapiConnection, refs: string[], path: string): Promise<void> {
    const unchecked = new Set(refs);
    try {
      for (const ref of refs) {
        const uuid = await conn.call<string>('VM.get_uuid', ref);
        // A snapshot's export carries the snapshot's name; the operator knows the VM's.
        const name =
          this.options.name ?? (this.metadata?.name || (await conn.call<string>('VM.get_name_label', ref)) || uuid);
        // On the pool, the copy says what it is, so nobody mistakes it for the VM while it runs.
        await conn.call('VM.set_name_label', ref, `${name} (tapir health check)`);
        // The export of a snapshot imports as a template, which cannot start.
        if ((await conn.call<boolean>('VM.get_is_a_template', ref)) === true)
          await conn.call('VM.set_is_a_template', ref, false);
        unchecked.delete(ref); // from here on, healthCheckVm removes it
        await this.healthCheckOne(conn, { ref, uuid, name, path });
      }
    } catch (error) {
      // Reported by finish(); the VM is gone either way. Cancellation still stops the restore at once.
      if (error instanceof TapirError && error.code === 'TAPIR_E_ABORTED') throw error;
      this.ctx.log.error({ vm: path }, error instanceof Error ? error.message : String(error));
      this.healthCheckFailure ??= error;
    } finally {
      for (const ref of unchecked) await removeVm(conn, { ref, uuid: ref, name: ref, path }, this.ctx.log);
    }
  }

  private async healthCheckOne(conn: XapiConnection, vm: HealthCheckSubject): Promise<void> {
    const { name } = vm;
    const expectGuestMetrics = this.metadata?.hadGuestMetrics ?? false;
    const report = await healthCheckVm(conn, vm, {
      timeoutMs: (this.options.healthCheckTimeoutSeconds ?? 300) * 1000,
      expectGuestMetrics,
      keepNetwork: this.options.healthCheckNetwork ?? false,
      signal: this.ctx.signal,
      log: this.ctx.log,
    });
    this.restored.healthChecks.push(report);
    if (!expectGuestMetrics) {
      const message = `health check of VM ${name} (${vm.uuid}) saw only its power state (Running): the backed-up VM reported no guest metrics (no guest tools), so whether its OS came up is not known`;
      this.ctx.log.warn({ vm: vm.uuid }, message);
      this.ctx.warn({ code: 'XEN_HEALTH_CHECK_POWER_STATE_ONLY', message, item: vm.path });
    }
  }

  private async importVhd(
    conn: XapiConnection,
    item: ItemMeta,
    disk: string,
    data: AsyncIterable<Uint8Array>,
  ): Promise<void> {
    const iterator = data[Symbol.asyncIterator]();
    const head = await readHead(iterator, VHD_FOOTER);
    if (head.length < VHD_FOOTER || head.subarray(0, 8).toString('latin1') !== 'conectix') {
      throw new TapirError('TAPIR_E_FORMAT', `${item.path} is not a VHD file (no conectix footer)`, {
        item: item.path,
      });
    }
    const size = Number(head.readBigUInt64BE(48));
    const type = head.readUInt32BE(60);
    let vdi = this.disks.get(disk);
    if (type !== VHD_DIFFERENCING) {
      // A full starts the disk over (a chain may restart at any link).
      if (vdi) await conn.tryCall(['HANDLE_INVALID'], 'VDI.destroy', vdi.ref);
      const ref = await conn.call<string>('VDI.create', {
        name_label: `tapir restore ${disk.split('/').pop() ?? disk}`,
        name_description: `restored by tapir from ${item.path}`,
        SR: this.srRef ?? (await this.defaultSr(conn)),
        virtual_size: size,
        type: 'user',
        sharable: false,
        read_only: false,
        other_config: {},
        sm_config: {},
        tags: [],
      });
      vdi = { ref, uuid: await conn.call<string>('VDI.get_uuid', ref), links: 0 };
      this.disks.set(disk, vdi);
    } else if (!vdi) {
      throw new TapirError(
        'TAPIR_E_SAVE_SET_INCOMPLETE',
        `${item.path} is a VHD delta but no full VHD of ${disk} came before it`,
        { item: item.path },
      );
    }
    const body = (async function* () {
      yield head;
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
    })();
    await conn.upload(
      '/import_raw_vdi',
      { vdi: vdi.ref, format: type === VHD_FIXED ? 'vhd' : 'vhd' },
      body,
      dataSize(item),
      `import of ${item.path}`,
    );
    vdi.links++;
  }

  /** The VM `attachTo` names: found by UUID or unique name, and halted (its disks change while it is off). */
  private async findAttachVm(conn: XapiConnection, key: string): Promise<VmHandle> {
    const vm = await findVm(conn, key);
    const state = String(vm.record.power_state);
    if (state !== 'Halted')
      throw new TapirError(
        'TAPIR_E_RESTORE_TARGET',
        `VM ${vm.uuid} (${String(vm.record.name_label)}) is ${state}: shut it down before attaching restored disks to it`,
        { vm: vm.uuid, powerState: state },
      );
    return vm;
  }

  /**
   * Attaches each restored VDI to `vm` at the position (`userdevice`) its disk had in the backed-up VM, disk 0
   * bootable. Every position is checked before any VBD is made: a taken one leaves the VDIs restored and unattached.
   */
  private async attach(conn: XapiConnection, vm: VmHandle): Promise<void> {
    const taken = new Map<string, string>();
    for (const vbd of await conn.call<string[]>('VM.get_VBDs', vm.ref)) {
      const record = await conn.call<XapiRecord>('VBD.get_record', vbd);
      taken.set(String(record.userdevice), String(record.type));
    }
    const wanted = this.restored.vdis.map((vdi) => ({ vdi, userdevice: /disk-([^/]+)$/.exec(vdi.disk)?.[1] ?? '' }));
    const clashes = wanted.filter((w) => taken.has(w.userdevice));
    if (clashes.length > 0) {
      throw new TapirError(
        'TAPIR_E_RESTORE_TARGET',
        `VM ${vm.uuid} (${String(vm.record.name_label)}) already has a device at position ${clashes.map((c) => `${c.userdevice} (${taken.get(c.userdevice)})`).join(', ')}; ` +
          `the restored VDIs ${this.restored.vdis.map((v) => v.uuid).join(', ')} were left unattached`,
        { vm: vm.uuid, userdevices: clashes.map((c) => c.userdevice) },
      );
    }
    for (const { vdi, userdevice } of wanted) {
      await conn.call('VBD.create', {
        VM: vm.ref,
        VDI: vdi.ref,
        userdevice,
        bootable: userdevice === '0',
        mode: 'RW',
        type: 'Disk',
        unpluggable: true,
        empty: false,
        other_config: {},
        qos_algorithm_type: '',
        qos_algorithm_params: {},
      });
      vdi.attachedTo = { vm: vm.uuid, userdevice };
    }
  }

  private async findSr(conn: XapiConnection): Promise<string | undefined> {
    const key = this.options.sr;
    if (!key) return undefined;
    const byUuid = await conn.tryCall<string>(['UUID_INVALID', 'HANDLE_INVALID'], 'SR.get_by_uuid', key);
    if (byUuid) return byUuid;
    const byName = (await conn.call<string[]>('SR.get_by_name_label', key)) ?? [];
    if (byName.length === 1) return byName[0];
    throw new TapirError(
      'TAPIR_E_RESTORE_TARGET',
      byName.length === 0
        ? `no SR with UUID or name "${key}"`
        : `${byName.length} SRs are named "${key}"; name one by UUID`,
      { sr: key },
    );
  }

  private async defaultSr(conn: XapiConnection): Promise<string> {
    const pools = await conn.call<Record<string, XapiRecord>>('pool.get_all_records');
    const sr = Object.values(pools)[0]?.default_SR;
    if (typeof sr !== 'string' || sr === 'OpaqueRef:NULL')
      throw new TapirError('TAPIR_E_RESTORE_TARGET', 'the pool has no default SR: set sr in the restore target');
    return sr;
  }

  private connection(): XapiConnection {
    if (!this.conn) throw new TapirError('TAPIR_E_RESTORE_TARGET', 'the xenserver restore target was not prepared');
    return this.conn;
  }
}

function dataSize(item: ItemMeta): number | undefined {
  const size = (item as { dataSize?: unknown }).dataSize;
  return typeof size === 'number' ? size : undefined;
}

/** Reads at least `bytes` from the front of an iterator (fewer only at its end). */
async function readHead(iterator: AsyncIterator<Uint8Array>, bytes: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let length = 0;
  while (length < bytes) {
    const next = await iterator.next();
    if (next.done) break;
    parts.push(Buffer.from(next.value));
    length += next.value.length;
  }
  return Buffer.concat(parts);
}

/** What the restore needs from `vm.json`. */
interface VmMetadata {
  vmUuid?: string;
  captureUuid?: string;
  /** The VM's name label at backup time. */
  name?: string;
  /** The VM had guest metrics at backup time: its guest tools report, so a health check waits for them. */
  hadGuestMetrics: boolean;
}

function parseMetadata(data: Buffer): VmMetadata | undefined {
  try {
    const doc = JSON.parse(data.toString('utf8')) as {
      vm?: { uuid?: unknown; name_label?: unknown; guest_metrics?: unknown };
      capture?: { uuid?: unknown };
    };
    const vmUuid = doc.vm?.uuid;
    const captureUuid = doc.capture?.uuid;
    const metrics = doc.vm?.guest_metrics;
    return {
      ...(typeof vmUuid === 'string' ? { vmUuid } : {}),
      ...(typeof captureUuid === 'string' ? { captureUuid } : {}),
      ...(typeof doc.vm?.name_label === 'string' ? { name: doc.vm.name_label } : {}),
      hadGuestMetrics: typeof metrics === 'string' && metrics !== '' && metrics !== 'OpaqueRef:NULL',
    };
  } catch {
    return undefined;
  }
}

/**
 * Rewrites the first tar member, `ova.xml`, in place (every change keeps its length): the snapshot flags are cleared,
 * since the export of a snapshot would otherwise import as a snapshot template, and `rename` swaps a UUID.
 */
async function* rewriteOvaXml(
  data: AsyncIterable<Uint8Array>,
  rename: { from: string; to: string } | undefined,
): AsyncGenerator<Uint8Array> {
  const iterator = data[Symbol.asyncIterator]();
  let head = await readHead(iterator, 512);
  const name = head.subarray(0, 100).toString('latin1').replace(/\0.*$/s, '');
  const size = parseInt(head.subarray(124, 136).toString('latin1').replace(/\0.*$/s, '').trim() || '0', 8);
  if (name === 'ova.xml' && head.length >= 512) {
    const end = 512 + size;
    if (head.length < end) head = Buffer.concat([head, await readHead(iterator, end - head.length)]);
    let xml = head.subarray(512, end).toString('utf8');
    if (rename) xml = xml.split(rename.from).join(rename.to);
    xml = xml.replace(/(<name>(?:is_a_snapshot|is_a_template)<\/name>\s*<value>\s*<boolean>)1(<\/boolean>)/g, '$10$2');
    const replaced = Buffer.from(xml, 'utf8');
    if (replaced.length === size) replaced.copy(head, 512);
  }
  yield head;
  for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
}
