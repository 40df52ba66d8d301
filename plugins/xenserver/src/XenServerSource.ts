import type { ChunkBuffers, RunContext, Source, SourceItem } from '@tapir/sdk';
import { TapirError } from '@tapir/sdk';
import { type ChainState, chainKey, type DiskChain, linkPath, newToken, parseChain } from './cbtChain.js';
import type { XenServerSourceOptions } from './schema.js';
import { TEMP_KEY, VmCapture } from './VmCapture.js';
import { destroySnapshot, findVm, type VmDisk, type VmHandle, vmDisks } from './vmInventory.js';
import { XapiConnection, type XapiRecord } from './XapiConnection.js';
import { xapiCode } from './xapiErrors.js';

const FILE_MODE = 0o100644;

/** The base snapshot of the previous run of this job and the chain it carries. */
interface Base {
  ref: string;
  uuid: string;
  chain: ChainState;
  disks: Map<string, VmDisk>;
}

/**
 * A XenServer / XCP-ng VM as a tapir source: one save set per VM (`xenserver:<vm uuid>`).
 *
 * @remarks
 * Items: `vms/<uuid>/vm.json` (the VM's metadata), then the data — `vms/<uuid>/vm.xva` (format `xva`), or one VHD
 * chain per disk, `vms/<uuid>/disk-<userdevice>.<seq>.vhd` (format `vhd`; see `cbtChain.ts`). Phases: open
 * (log in, find the VM) → items (capture, export, keep or destroy the snapshot, restart an offline VM) → close
 * (whatever `items` could not finish: snapshots destroyed, the power state restored, the session closed).
 */
export class XenServerSource implements Source {
  readonly object: string;
  private capture: VmCapture | undefined;
  private readonly cbtWasOff = new Set<string>();

  private constructor(
    private readonly conn: XapiConnection,
    private readonly vmUuid: string,
    private readonly options: Required<
      Pick<XenServerSourceOptions, 'method' | 'format' | 'compression' | 'cbt' | 'fullEvery'>
    >,
  ) {
    this.object = `xenserver:${vmUuid}`;
  }

  /** Logs in and finds the VM, so that the save set's object is known before anything is read. */
  static async open(options: XenServerSourceOptions): Promise<XenServerSource> {
    const wanted = options.vm;
    if (wanted === undefined) {
      // `vms`, `tags` and `pool` are split into one source per VM by the kind's expand(); a source opened directly
      // needs `vm`.
      throw new TapirError(
        'TAPIR_E_CONFIG_INVALID',
        'a xenserver source opens one VM: give `vm` (tapir splits `vms`, `tags` and `pool` into one source per VM)',
      );
    }
    const conn = await XapiConnection.open(options, 'TAPIR_E_SOURCE_UNAVAILABLE');
    try {
      const vm = await findVm(conn, wanted);
      return new XenServerSource(conn, vm.uuid, {
        method: options.method ?? 'snapshot',
        format: options.format ?? 'xva',
        compression: options.compression ?? 'none',
        cbt: options.cbt ?? true,
        fullEvery: options.fullEvery ?? 30,
      });
    } catch (error) {
      await conn.close();
      throw error;
    }
  }

  async *items(ctx: RunContext): AsyncGenerator<SourceItem> {
    try {
      yield* this.produce(ctx);
    } finally {
      await this.release(ctx);
    }
  }

  async close(): Promise<void> {
    try {
      await this.release(undefined);
    } finally {
      await this.conn.close();
    }
  }

  private async *produce(ctx: RunContext): AsyncGenerator<SourceItem> {
    // By UUID at every run: references change when XAPI restarts, and the VM may have moved host.
    const vm = await findVm(this.conn, this.vmUuid);
    await this.removeStaleSnapshots(vm, ctx);
    const { format, method } = this.options;
    const chained = format === 'vhd' && this.options.cbt;
    const base = chained ? await this.findBase(vm, ctx) : undefined;
    const liveDisks = await vmDisks(this.conn, vm.ref);
    const cbtBroken = chained ? await this.enableCbt(liveDisks, ctx) : new Set<string>();

    const capture = new VmCapture(this.conn, vm, method, ctx);
    this.capture = capture;
    // Only a CBT chain needs a snapshot of an offline VM (as the base of the next run); otherwise the halted VM's own
    // disks are exported, and no copy is made.
    await capture.take(chained);
    ctx.log.info(
      { vm: vm.uuid, method: capture.method, format },
      `captured VM ${vm.uuid} (${String(vm.record.name_label)}) by ${capture.method}`,
    );
    const captureRecord = await this.conn.call<XapiRecord>('VM.get_record', capture.ref);
    const disks = await vmDisks(this.conn, capture.ref);

    yield this.metadataItem(vm, captureRecord, disks, base);

    if (format === 'xva') {
      const query: Record<string, string> = { ref: capture.ref };
      if (this.options.compression !== 'none')
        query.use_compression = this.options.compression === 'gzip' ? 'true' : 'zstd';
      if (capture.withMemory) query.preserve_power_state = 'true';
      yield {
        path: `vms/${vm.uuid}/vm.xva`,
        type: 'stream',
        mode: FILE_MODE,
        mtimeNs: nowNs(),
        open: (signal, buffers) => this.conn.download('/export', query, `export of VM ${vm.uuid}`, signal, buffers),
      };
      return;
    }

    const next: ChainState = { version: 1, disks: {} };
    for (const disk of disks) {
      const live = liveDisks.find((d) => d.userdevice === disk.userdevice);
      const liveUuid = String(live?.vdi.uuid ?? disk.vdi.snapshot_of ?? disk.vdi.uuid);
      const chain = yield* this.diskItems(
        vm,
        disk,
        liveUuid,
        cbtBroken.has(disk.userdevice) ? undefined : base,
        chained,
        ctx,
      );
      next.disks[disk.userdevice] = chain;
    }
    if (chained) {
      // Every item was handed over: this snapshot becomes the base of the next run, the old base goes.
      await this.conn.call('VM.add_to_other_config', capture.ref, chainKey(ctx.job), JSON.stringify(next));
      await this.conn.call('VM.remove_from_other_config', capture.ref, TEMP_KEY);
      capture.keep();
      if (base) await destroySnapshot(this.conn, base.ref);
    }
  }

  /** Yields one disk's chain items and returns the chain as it now stands. */
  private async *diskItems(
    vm: VmHandle,
    disk: VmDisk,
    liveUuid: string,
    base: Base | undefined,
    chained: boolean,
    ctx: RunContext,
  ): AsyncGenerator<SourceItem, DiskChain> {
    const full = (signal: AbortSignal, buffers?: ChunkBuffers): AsyncIterable<Uint8Array> =>
      this.conn.download(
        '/export_raw_vdi',
        { vdi: disk.vdiRef, format: 'vhd' },
        `export of disk ${disk.userdevice} of VM ${vm.uuid}`,
        signal,
        buffers,
      );
    const item = (seq: number, token: string | undefined, open: NonNullable<SourceItem['open']>): SourceItem => ({
      path: linkPath(vm.uuid, disk.userdevice, seq),
      type: 'stream',
      mode: FILE_MODE,
      mtimeNs: nowNs(),
      ...(token ? { changeToken: token } : {}),
      open,
    });
    if (!chained) {
      yield item(0, undefined, full);
      return { vdi: liveUuid, links: [] };
    }
    const previous = await this.continuable(disk, liveUuid, base, ctx);
    if (previous === undefined) {
      const link = { seq: 0, token: newToken() };
      yield item(0, link.token, full);
      return { vdi: liveUuid, links: [link] };
    }
    // Old links again, with their tokens: tapir stores references. If it asks for data, its last save set lacks
    // that link (a full run, or a failed save set): the link then gets a full export, and the chain restarts there.
    for (const [index, link] of previous.chain.links.entries()) {
      let opened = false;
      yield item(link.seq, link.token, (signal, buffers) => {
        opened = true;
        return full(signal, buffers);
      });
      if (opened) {
        if (link.seq > 0)
          ctx.log.warn(
            { vm: vm.uuid, disk: disk.userdevice, seq: link.seq },
            `disk ${disk.userdevice} of VM ${vm.uuid}: the parent save set lacks VHD link ${link.seq}; stored a full export in its place`,
          );
        return { vdi: liveUuid, links: previous.chain.links.slice(0, index + 1) };
      }
    }
    const last = previous.chain.links[previous.chain.links.length - 1]!;
    const link = { seq: last.seq + 1, token: newToken() };
    ctx.log.info(
      { vm: vm.uuid, disk: disk.userdevice, changedBlocks: previous.changed },
      `disk ${disk.userdevice} of VM ${vm.uuid}: delta from base snapshot ${base!.uuid}, ${previous.changed} changed 64 KiB blocks`,
    );
    yield item(link.seq, link.token, (signal, buffers) =>
      this.conn.download(
        '/export_raw_vdi',
        { vdi: disk.vdiRef, format: 'vhd', base: previous.baseVdi },
        `delta export of disk ${disk.userdevice} of VM ${vm.uuid}`,
        signal,
        buffers,
      ),
    );
    return { vdi: liveUuid, links: [...previous.chain.links, link] };
  }

  /** The chain a disk can continue, or undefined (with the reason logged) when it needs a new full. */
  private async continuable(
    disk: VmDisk,
    liveUuid: string,
    base: Base | undefined,
    ctx: RunContext,
  ): Promise<{ chain: DiskChain; baseVdi: string; changed: number } | undefined> {
    const full = (reason: string) => {
      ctx.log.info({ disk: disk.userdevice, reason }, `disk ${disk.userdevice}: full VHD export because ${reason}`);
      return undefined;
    };
    if (!base)
      return full(
        this.cbtWasOff.has(disk.userdevice)
          ? 'changed-block tracking was off on this disk (first run, or someone disabled it)'
          : 'no base snapshot from an earlier run of this job exists (first run, or it was deleted)',
      );
    const chain = base.chain.disks[disk.userdevice];
    const baseDisk = base.disks.get(disk.userdevice);
    if (!chain || chain.links.length === 0 || !baseDisk)
      return full(`the base snapshot ${base.uuid} has no chain for this disk (a new disk)`);
    if (chain.vdi !== liveUuid) return full(`the disk was replaced (VDI ${chain.vdi} → ${liveUuid})`);
    if (chain.links.length > this.options.fullEvery)
      return full(`the chain has ${chain.links.length - 1} deltas (fullEvery: ${this.options.fullEvery})`);
    try {
      const bitmap = await this.conn.call<string>('VDI.list_changed_blocks', baseDisk.vdiRef, disk.vdiRef);
      return { chain, baseVdi: baseDisk.vdiRef, changed: countBits(Buffer.from(bitmap, 'base64')) };
    } catch (error) {
      return full(
        `CBT cannot compare it with the base snapshot (${xapiCode(error) ?? 'error'}): the changed-block record was lost`,
      );
    }
  }

  /** Enables CBT on the VM's disks; returns the disks where it was off (their chain cannot be trusted). */
  private async enableCbt(disks: VmDisk[], ctx: RunContext): Promise<Set<string>> {
    const off = new Set<string>();
    for (const disk of disks) {
      if (disk.vdi.cbt_enabled === true) continue;
      off.add(disk.userdevice);
      this.cbtWasOff.add(disk.userdevice);
      await this.conn.call('VDI.enable_cbt', disk.vdiRef);
      ctx.log.info(
        { disk: disk.userdevice, vdi: disk.vdi.uuid },
        `enabled changed-block tracking on disk ${disk.userdevice}`,
      );
    }
    return off;
  }

  /** The base snapshot of this job's last run, with its chain; undefined when there is none. */
  private async findBase(vm: VmHandle, ctx: RunContext): Promise<Base | undefined> {
    for (const ref of (vm.record.snapshots as string[]) ?? []) {
      const record = await this.conn.tryCall<XapiRecord>(['HANDLE_INVALID'], 'VM.get_record', ref);
      const chain = parseChain((record?.other_config as Record<string, string> | undefined)?.[chainKey(ctx.job)]);
      if (!record || !chain) continue;
      const disks = new Map((await vmDisks(this.conn, ref)).map((d) => [d.userdevice, d]));
      return { ref, uuid: String(record.uuid), chain, disks };
    }
    return undefined;
  }

  /** Snapshots this job made in a run that was killed before it could clean up. */
  private async removeStaleSnapshots(vm: VmHandle, ctx: RunContext): Promise<void> {
    for (const ref of (vm.record.snapshots as string[]) ?? []) {
      const other = await this.conn.tryCall<Record<string, string>>(['HANDLE_INVALID'], 'VM.get_other_config', ref);
      if (other?.[TEMP_KEY] !== ctx.job || other[chainKey(ctx.job)] !== undefined) continue;
      ctx.log.warn(
        { vm: vm.uuid, snapshot: ref },
        `removing a snapshot of VM ${vm.uuid} left by an interrupted run of job ${ctx.job}`,
      );
      await destroySnapshot(this.conn, ref);
    }
  }

  private metadataItem(vm: VmHandle, capture: XapiRecord, disks: VmDisk[], base: Base | undefined): SourceItem {
    const doc = {
      format: 'tapir-xenserver-vm',
      version: 1,
      vm: { uuid: vm.uuid, ...vm.record },
      capture: {
        method: this.capture?.method,
        uuid: capture.uuid,
        snapshotTime: capture.snapshot_time,
        memory: this.capture?.withMemory ?? false,
      },
      exportFormat: this.options.format,
      disks: disks.map((d) => ({
        userdevice: d.userdevice,
        uuid: d.vdi.uuid,
        name: d.vdi.name_label,
        virtualSize: Number(d.vdi.virtual_size),
        snapshotOf: d.vdi.snapshot_of,
      })),
      ...(base ? { baseSnapshot: base.uuid } : {}),
    };
    const data = Buffer.from(`${JSON.stringify(doc, null, 2)}\n`);
    return {
      path: `vms/${vm.uuid}/vm.json`,
      type: 'file',
      size: data.length,
      mode: FILE_MODE,
      mtimeNs: nowNs(),
      open: async function* () {
        yield data;
      },
    };
  }

  private async release(ctx: RunContext | undefined): Promise<void> {
    const capture = this.capture;
    if (!capture) return;
    try {
      await capture.release();
    } catch (error) {
      const message = `cleanup on the pool failed: ${error instanceof Error ? error.message : String(error)}`;
      if (ctx) ctx.warn({ code: 'XEN_CLEANUP_FAILED', message });
      else
        throw error instanceof TapirError
          ? error
          : new TapirError('TAPIR_E_SOURCE_UNAVAILABLE', message, {}, { cause: error });
    }
  }
}

function nowNs(): string {
  return (BigInt(Date.now()) * 1_000_000n).toString();
}

function countBits(bitmap: Buffer): number {
  let count = 0;
  for (const byte of bitmap) {
    let b = byte;
    while (b) {
      count += b & 1;
      b >>= 1;
    }
  }
  return count;
}
