import { isCleaningCartridge, type ElementStatus, type TapeDrive } from '@tapir/devices';
import { TapirError, type MediumRecord, type RunContext } from '@tapir/sdk';
import type { Mount, MountedTape } from './Mount.js';
import type { ResolvedTapeOptions } from './options.js';
import { ResourceLock } from './ResourceLock.js';
import { SLOT_FEATURE, describeRange, type LicensedInventory, type TapeLibrary } from './TapeLibrary.js';
import { LABEL_BLOCK_BYTES, decodeLabel, encodeLabel, type VolumeLabel } from './VolumeLabel.js';

const WRITER = 'tapir 0.1.0';

/** A tape the pool may write, as found in a licensed slot. */
interface Candidate {
  barcode: string;
  slot: number;
  record: MediumRecord | undefined;
  /** A full tape of the pool whose retention has passed: recycled (its save sets expire) before it is relabelled. */
  recycle?: true;
}

/** The tapes a pool can write now, and what stands in the way of the others. */
export interface PoolCandidates {
  /** Append tapes of the pool first, then scratch tapes, each in slot order, then (with `autoRecycle`) full tapes of
   * the pool whose retention has passed, the longest expired first. */
  writable: Candidate[];
  /** Tapes that would be writable but sit in slots the licence does not cover. */
  unlicensed: Candidate[];
  /** `TAPE0001L6 full`, … for the error message. */
  seen: string[];
}

/**
 * Reserves drives and tapes, picks tapes from the pool, labels scratch tapes, loads and unloads. Every lock taken
 * here is released by {@link TapeMounts.release}.
 */
export class TapeMounts {
  /** Drives whose cleaning requests are reported (once per drive object). */
  private readonly watched = new WeakSet<TapeDrive>();

  constructor(
    readonly library: TapeLibrary,
    private readonly options: ResolvedTapeOptions,
  ) {}

  /** Reserves a free drive (waiting up to `reserveTimeoutSeconds`), emptied of any tape a killed run left in it. */
  async reserveDrive(ctx: RunContext): Promise<Mount> {
    const elements = await this.library.driveElements();
    const names = elements.map((e) => this.driveResource(e));
    const lock = await ResourceLock.acquireAny(ResourceLock.directory(ctx.home), names, {
      job: ctx.job,
      timeoutSeconds: this.options.reserveTimeoutSeconds,
      log: ctx.log,
      signal: ctx.signal,
      what: `drive of ${this.library.name}`,
    });
    const element = elements[names.indexOf(lock.resource)]!;
    try {
      const drive = await this.library.drive(element);
      this.watchCleaning(element, drive, ctx);
      const mount: Mount = { element, drive, lock };
      await this.clearDrive(mount, ctx);
      return mount;
    } catch (error) {
      await lock.release();
      throw error;
    }
  }

  /** Unloads the mount's tape (if any) and gives up the drive. */
  async release(mount: Mount, ctx: RunContext): Promise<void> {
    try {
      await this.unmount(mount, ctx);
    } finally {
      await mount.lock.release();
    }
  }

  /** Puts the mount's tape back into its slot and releases it; then cleans the drive if it asked for it. */
  async unmount(mount: Mount, ctx: RunContext): Promise<void> {
    const tape = mount.tape;
    if (!tape) return;
    try {
      await this.library.unload(mount.element, tape.slot);
      const record = await ctx.media?.get(tape.barcode);
      if (record) await ctx.media?.put({ ...record, location: `slot ${tape.slot}` });
    } finally {
      mount.tape = undefined;
      await tape.lock.release();
    }
    if (mount.drive.cleaningRequested && this.options.autoClean) await this.clean(mount, ctx);
  }

  /** Reports a drive's request for cleaning as a `cleaning` media event (the notifiers hear it) and in the log. */
  private watchCleaning(element: number, drive: TapeDrive, ctx: RunContext): void {
    if (this.watched.has(drive)) return;
    this.watched.add(drive);
    drive.on('cleaning-requested', (request) => {
      const message = `drive ${element} of ${this.library.name} asks for cleaning (sense 00/17 on ${request.command})${this.options.autoClean ? '; it is cleaned when its tape is unloaded' : ''}`;
      ctx.log.warn({ drive: element }, message);
      void ctx
        .emit?.({ type: 'media', event: 'cleaning', device: `${this.library.name} drive ${element}`, message })
        .catch(() => {});
    });
  }

  /**
   * Cleans an empty reserved drive with a cleaning cartridge from the licensed slots: loads it, waits until the drive
   * is done (it unloads the cartridge, or is ready again), and puts it back. Never throws: a drive that stays dirty is
   * reported, and the job goes on.
   */
  private async clean(mount: Mount, ctx: RunContext): Promise<void> {
    const device = `${this.library.name} drive ${mount.element}`;
    try {
      const inv = await this.library.inventory();
      const cartridges = inv.slots.filter((s) => s.full && isCleaningCartridge(s));
      let cartridge: ElementStatus | undefined;
      for (const c of cartridges) {
        const record = c.barcode ? await ctx.media?.get(c.barcode) : undefined;
        if (record?.state !== 'retired' && record?.state !== 'error') {
          cartridge = c;
          break;
        }
      }
      if (!cartridge) {
        const message = `drive ${mount.element} of ${this.library.name} needs cleaning, and no usable cleaning cartridge (barcode CLN…) is in the licensed slots ${describeRange(inv.slots)}: insert one, or clean the drive by hand`;
        ctx.log.warn({ drive: mount.element }, message);
        await ctx.emit?.({ type: 'media', event: 'cleaning', device, message });
        return;
      }
      const barcode = cartridge.barcode ?? `slot ${cartridge.address}`;
      const lock = await ResourceLock.tryAcquire(ResourceLock.directory(ctx.home), this.tapeResource(barcode), ctx.job);
      if (!lock) {
        ctx.log.warn(
          { drive: mount.element, barcode },
          `${barcode} is in use; drive ${mount.element} is cleaned later`,
        );
        return;
      }
      try {
        ctx.log.info({ drive: mount.element, barcode }, `cleaning drive ${mount.element} with ${barcode}`);
        await this.library.changer.move(cartridge.address, mount.element);
        const deadline = Date.now() + this.options.cleaningTimeoutSeconds * 1000;
        // A drive cleans, then unloads the cartridge by itself (no medium) or reports ready; not ready meanwhile.
        for (;;) {
          const state = await mount.drive.ready().catch(() => 'not-ready' as const);
          if (state === 'no-medium' || state === 'ready' || Date.now() >= deadline) break;
          await new Promise((r) => setTimeout(r, 1000));
        }
        await this.library.changer.move(mount.element, cartridge.address);
        mount.drive.cleaned();
        if (cartridge.barcode) {
          const record = (await ctx.media?.get(cartridge.barcode)) ?? emptyRecord(cartridge.barcode, 'cleaning');
          // For a cleaning cartridge, `files` counts the cleanings it has done.
          await ctx.media?.put({
            ...record,
            state: 'cleaning',
            files: record.files + 1,
            lastWritten: new Date().toISOString(),
            location: `slot ${cartridge.address}`,
          });
        }
        const message = `drive ${mount.element} of ${this.library.name} was cleaned with ${barcode}`;
        ctx.log.info({ drive: mount.element, barcode }, message);
        await ctx.emit?.({ type: 'media', event: 'cleaning', medium: cartridge.barcode, device, message });
      } finally {
        await lock.release();
      }
    } catch (error) {
      const message = `cleaning drive ${mount.element} of ${this.library.name} failed: ${(error as Error).message}`;
      ctx.log.warn({ err: error, drive: mount.element }, message);
      await ctx.emit?.({ type: 'media', event: 'cleaning', device, message }).catch(() => {});
    }
  }

  /** What the pool could write now, from a fresh inventory and the media records. */
  async candidates(ctx: RunContext, exclude: ReadonlySet<string> = new Set()): Promise<PoolCandidates> {
    const inv = await this.library.inventory();
    return this.classify(inv, ctx, exclude);
  }

  /**
   * Loads a writable tape of the pool into the mount's drive, positioned at end of data: an `append` tape of the pool,
   * else a scratch tape, which is labelled into the pool. Tapes that turn out not to be what the catalog says are
   * recorded as such and skipped.
   */
  async mountWritable(mount: Mount, ctx: RunContext, exclude: Set<string>): Promise<MountedTape> {
    const deadline = Date.now() + this.options.reserveTimeoutSeconds * 1000;
    let told = false;
    await this.clearIdleDrives(ctx);
    for (;;) {
      const found = await this.candidates(ctx, exclude);
      if (found.writable.length === 0) {
        await ctx.emit?.({
          type: 'media',
          event: 'needed',
          device: this.library.name,
          message: `pool ${this.options.pool} needs a writable tape in ${this.library.name}`,
        });
        throw this.noTapeError(found);
      }
      for (const c of found.writable) {
        const lock = await ResourceLock.tryAcquire(
          ResourceLock.directory(ctx.home),
          this.tapeResource(c.barcode),
          ctx.job,
        );
        if (!lock) continue;
        let loaded = false;
        try {
          ctx.log.info(
            { barcode: c.barcode, slot: c.slot, drive: mount.element },
            `loading ${c.barcode} from slot ${c.slot} into drive ${mount.element}`,
          );
          await this.library.load(c.slot, mount.element);
          loaded = true;
          if (c.recycle) c.record = await this.recycleExpired(c, ctx);
          const tape = await this.prepareForWriting(mount.drive, mount.element, c, lock, ctx);
          if (tape) {
            mount.tape = tape;
            return tape;
          }
          exclude.add(c.barcode);
          await this.library.unload(mount.element, c.slot);
          loaded = false;
          await lock.release();
        } catch (error) {
          if (loaded) await this.library.unload(mount.element, c.slot).catch(() => {});
          await lock.release();
          throw error;
        }
      }
      if (found.writable.every((c) => exclude.has(c.barcode))) continue;
      // Every candidate is in use by another job.
      if (Date.now() >= deadline)
        throw new TapirError(
          'TAPIR_E_DRIVE_BUSY',
          `every writable tape of pool ${this.options.pool} was in use by other jobs for ${this.options.reserveTimeoutSeconds} s (reserveTimeoutSeconds)`,
          { pool: this.options.pool },
        );
      if (!told) {
        told = true;
        ctx.log.info(
          { pool: this.options.pool },
          `waiting for a tape of pool ${this.options.pool}: all are in use by other jobs`,
        );
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /**
   * Loads a tape for reading. `TAPIR_E_NOT_FOUND` (and a `needed` event) when the library does not hold it,
   * `TAPIR_E_LICENSE_LIMIT` when it sits in a slot beyond the licence.
   */
  async mountForReading(mount: Mount, barcode: string, ctx: RunContext): Promise<MountedTape> {
    if (mount.tape?.barcode === barcode) return mount.tape;
    await this.unmount(mount, ctx);
    const lock = await ResourceLock.acquireAny(ResourceLock.directory(ctx.home), [this.tapeResource(barcode)], {
      job: ctx.job,
      timeoutSeconds: this.options.reserveTimeoutSeconds,
      log: ctx.log,
      signal: ctx.signal,
      what: `tape ${barcode}`,
    });
    try {
      const inv = await this.library.inventory();
      const where = (list: readonly ElementStatus[]) => list.find((e) => e.full && e.barcode === barcode);
      let slot = where(inv.slots)?.address;
      if (slot === undefined) {
        const beyond = where(inv.unlicensedSlots);
        if (beyond) throw beyondLicence(`tape ${barcode} is needed but`, barcode, beyond, inv);
        const inDrive = where(inv.inventory.drives);
        if (inDrive) {
          // Left in a drive by a killed run (we hold the tape's lock, so no live job uses it): back to a slot first.
          slot = this.homeSlot(inDrive, inv);
          await this.library.unload(inDrive.address, slot);
        }
      }
      if (slot === undefined) {
        const ie = where(inv.inventory.importExport);
        const message = ie
          ? `tape ${barcode} is needed and sits in the import/export slot ${ie.address}: move it into a storage slot (slots ${describeRange(inv.slots)})`
          : `tape ${barcode} is needed but is not in the library ${this.library.name}: put it into one of slots ${describeRange(inv.slots)}`;
        await ctx.emit?.({ type: 'media', event: 'needed', medium: barcode, device: this.library.name, message });
        throw new TapirError('TAPIR_E_NOT_FOUND', message, { barcode, device: this.library.name });
      }
      await this.library.load(slot, mount.element);
      const tape: MountedTape = {
        barcode,
        slot,
        lock,
        record: (await ctx.media?.get(barcode)) ?? emptyRecord(barcode, 'scratch'),
        label: undefined as unknown as VolumeLabel,
      };
      mount.tape = tape;
      await mount.drive.rewind();
      const first = await mount.drive.readBlock(LABEL_BLOCK_BYTES).catch(() => undefined);
      const label = first?.kind === 'data' ? decodeLabel(first.data) : undefined;
      if (!label || label.barcode !== barcode)
        throw new TapirError(
          'TAPIR_E_FORMAT',
          `tape ${barcode} does not carry its tapir volume label${label ? ` (it says ${label.barcode})` : ''}`,
          { barcode },
        );
      tape.label = label;
      return tape;
    } catch (error) {
      if (mount.tape?.barcode === barcode) await this.unmount(mount, ctx).catch(() => {});
      else await lock.release();
      throw error;
    }
  }

  /**
   * Fails before any reading when a tape the extents need is not where tapir may load it from: not in the library
   * (`TAPIR_E_NOT_FOUND`, and a `needed` event per tape), or in a slot beyond the licence (`TAPIR_E_LICENSE_LIMIT`).
   */
  async requirePresent(barcodes: readonly string[], ctx: RunContext): Promise<void> {
    const inv = await this.library.inventory();
    const has = (list: readonly ElementStatus[], b: string) => list.find((e) => e.full && e.barcode === b);
    const missing: string[] = [];
    for (const b of new Set(barcodes)) {
      if (has(inv.slots, b) || has(inv.inventory.drives, b)) continue;
      const beyond = has(inv.unlicensedSlots, b);
      if (beyond) throw beyondLicence(`tape ${b} is needed but`, b, beyond, inv);
      const ie = has(inv.inventory.importExport, b);
      const message = ie
        ? `tape ${b} is needed and sits in the import/export slot ${ie.address}: move it into a storage slot (slots ${describeRange(inv.slots)})`
        : `tape ${b} is needed but is not in the library ${this.library.name}: put it into one of slots ${describeRange(inv.slots)}`;
      await ctx.emit?.({ type: 'media', event: 'needed', medium: b, device: this.library.name, message });
      missing.push(message);
    }
    if (missing.length > 0)
      throw new TapirError('TAPIR_E_NOT_FOUND', missing.join('; '), {
        barcode: barcodes.find((b) => missing.some((m) => m.includes(b))),
        device: this.library.name,
      });
  }

  /** The error for a pool that has nothing to write on: what is there, and what to do. */
  noTapeError(found: PoolCandidates): TapirError {
    const pool = this.options.pool;
    const seen = found.seen.length ? ` Tapes in the licensed slots: ${found.seen.join(', ')}.` : '';
    if (found.unlicensed.length > 0) {
      const list = found.unlicensed.map((c) => `${c.barcode} (slot ${c.slot})`).join(', ');
      return new TapirError(
        'TAPIR_E_LICENSE_LIMIT',
        `pool ${pool} has no writable tape in the ${this.library.licensed} storage slots the licence allows (${SLOT_FEATURE}); ${list} could be used but sit in slots beyond the licence.${seen} Move scratch tapes into the licensed slots, label or recycle a tape into pool ${pool}, or license more slots.`,
        { pool, feature: SLOT_FEATURE, licensed: this.library.licensed, device: this.library.name },
      );
    }
    return new TapirError(
      'TAPIR_E_POOL_EXHAUSTED',
      `pool ${pool} has no writable tape: no tape of the pool is in state append and there is no scratch tape in ${this.library.name}.${seen} Add scratch tapes to the library, or label or recycle a tape into pool ${pool} (a recycled tape goes back to scratch; full tapes whose retention has passed are recycled by themselves with autoRecycle).`,
      { pool, device: this.library.name },
    );
  }

  private classify(inv: LicensedInventory, ctx: RunContext, exclude: ReadonlySet<string>): Promise<PoolCandidates> {
    const pool = this.options.pool;
    const now = new Date().toISOString();
    const pick = async (slots: readonly ElementStatus[], seen: string[] | undefined) => {
      const append: Candidate[] = [];
      const scratch: Candidate[] = [];
      const expired: Candidate[] = [];
      for (const s of slots) {
        if (!s.full || !s.barcode || exclude.has(s.barcode)) continue;
        const record = await ctx.media?.get(s.barcode);
        if (isCleaningCartridge(s)) {
          seen?.push(`${s.barcode} cleaning`);
          // Cleaning cartridges are recorded as such, never written.
          if (!record && seen)
            await ctx.media?.put({ ...emptyRecord(s.barcode, 'cleaning'), location: `slot ${s.address}` });
          continue;
        }
        if (record?.state === 'append' && record.pool === pool)
          append.push({ barcode: s.barcode, slot: s.address, record });
        else if (!record || record.state === 'scratch') scratch.push({ barcode: s.barcode, slot: s.address, record });
        else if (this.options.autoRecycle && record.state === 'full' && record.pool === pool && expiredBy(record, now))
          expired.push({ barcode: s.barcode, slot: s.address, record, recycle: true });
        seen?.push(
          `${s.barcode} ${record ? `${record.state}${record.state === 'scratch' ? '' : ` (pool ${record.pool}${record.retainUntil ? `, retained until ${record.retainUntil}` : ''})`}` : 'unknown'}`,
        );
      }
      expired.sort((a, b) => a.record!.retainUntil!.localeCompare(b.record!.retainUntil!));
      return [...append, ...scratch, ...expired];
    };
    return (async () => {
      const seen: string[] = [];
      const writable = await pick(inv.slots, seen);
      const unlicensed = await pick(inv.unlicensedSlots, undefined);
      return { writable, unlicensed, seen };
    })();
  }

  /** Reads the tape's first block and makes it ready to append, labelling scratch tapes. Undefined: skip this tape. */
  private async prepareForWriting(
    drive: TapeDrive,
    element: number,
    c: Candidate,
    lock: ResourceLock,
    ctx: RunContext,
  ): Promise<MountedTape | undefined> {
    const { pool, blockSize } = this.options;
    const { label, blank } = await readVolumeLabel(drive);
    const location = `drive ${element}`;
    let record = c.record;

    if (!record && label && label.pool !== SCRATCH_POOL) {
      // A tapir tape this catalog has not seen (a lost catalog, another installation): adopted, never overwritten.
      record = {
        ...emptyRecord(c.barcode, 'append'),
        pool: label.pool,
        label: JSON.stringify(label),
        location,
      };
      await ctx.media?.put(record);
      ctx.log.warn(
        { barcode: c.barcode, pool: label.pool },
        `${c.barcode} carries a tapir label of pool ${label.pool}; adopted, not overwritten`,
      );
      if (label.pool !== pool) return undefined;
    } else if (!record && !blank && !label) {
      await ctx.media?.put({ ...emptyRecord(c.barcode, 'read-only'), location });
      ctx.log.warn(
        { barcode: c.barcode },
        `${c.barcode} holds data that is not a tapir volume; it is not overwritten (recycle it to use it as scratch)`,
      );
      return undefined;
    }

    if (record && record.state === 'append') {
      if (!label || label.barcode !== c.barcode || label.pool !== pool) {
        const message = `${c.barcode} is recorded in pool ${pool} but its volume label ${label ? `says ${label.barcode}, pool ${label.pool}` : 'is missing'}; marked error`;
        await ctx.media?.put({ ...record, state: 'error', location });
        await ctx.emit?.({ type: 'media', event: 'error', medium: c.barcode, device: this.library.name, message });
        return undefined;
      }
      if (label.blockSize !== blockSize) {
        ctx.log.warn(
          { barcode: c.barcode, blockSize: label.blockSize },
          `${c.barcode} was labelled for ${label.blockSize}-byte blocks, this destination writes ${blockSize}; skipped`,
        );
        return undefined;
      }
      const position = await drive.seekEndOfData();
      // Blocks after the last filemark: a save set cut off by a killed run. Close its file; the catalog never lists it.
      if (position.block !== 0) await drive.writeFilemarks(1);
      const updated = { ...record, location, files: (drive.position.file ?? 1) - 1 };
      await ctx.media?.put(updated);
      ctx.log.info(
        { barcode: c.barcode, file: drive.position.file },
        `appending to ${c.barcode} at tape file ${drive.position.file}`,
      );
      return { barcode: c.barcode, slot: c.slot, lock, record: updated, label };
    }

    // Scratch (recorded, or blank and unknown): label it into the pool.
    const labelled = await this.writeLabel(drive, c.barcode, pool, location, ctx);
    return { barcode: c.barcode, slot: c.slot, lock, ...labelled };
  }

  /** Writes a volume label at the beginning of the loaded tape and records the tape as labelled into `pool`. */
  private async writeLabel(
    drive: TapeDrive,
    barcode: string,
    pool: string,
    location: string,
    ctx: RunContext,
  ): Promise<{ record: MediumRecord; label: VolumeLabel }> {
    const label: VolumeLabel = {
      format: 'tapir-volume-label',
      version: 1,
      barcode,
      pool,
      blockSize: this.options.blockSize,
      labelledAt: new Date().toISOString(),
      writer: WRITER,
    };
    await drive.rewind();
    await drive.writeBlock(encodeLabel(label));
    await drive.writeFilemarks(1);
    const record: MediumRecord = {
      ...emptyRecord(barcode, pool === SCRATCH_POOL ? 'scratch' : 'append'),
      pool,
      label: JSON.stringify(label),
      lastWritten: label.labelledAt,
      location,
    };
    await ctx.media?.put(record);
    await ctx.emit?.({
      type: 'media',
      event: 'labelled',
      medium: barcode,
      device: this.library.name,
      message: `${barcode} labelled into pool ${pool}`,
    });
    return { record, label };
  }

  /** Returns an expired tape to scratch before it is relabelled: its save sets expire in the catalog first. */
  private async recycleExpired(c: Candidate, ctx: RunContext): Promise<MediumRecord | undefined> {
    const until = c.record?.retainUntil;
    const expired =
      (await ctx.media?.recycle(c.barcode, `expired: medium ${c.barcode} was recycled (retained until ${until})`)) ??
      [];
    const message = `${c.barcode} was retained until ${until}; recycled into pool ${this.options.pool}${expired.length ? `, ${expired.length} save set(s) on it expired` : ''}`;
    ctx.log.info({ barcode: c.barcode, expired }, message);
    await ctx.emit?.({ type: 'media', event: 'recycled', medium: c.barcode, device: this.library.name, message });
    return ctx.media?.get(c.barcode);
  }

  /**
   * Writes a new label on one tape of the library (`tapir media label`) with the given (reserved, empty) drive, and
   * puts the tape back. Refuses, unless `force`: foreign data, a tapir label the catalog has no record of, a retired
   * tape, complete save sets on it. Save sets on it expire before the label is overwritten.
   */
  async labelTape(mount: Mount, barcode: string, pool: string, force: boolean, ctx: RunContext): Promise<MediumRecord> {
    const inv = await this.library.inventory();
    const holds = (e: ElementStatus) => e.full && e.barcode === barcode;
    const { drives, importExport } = inv.inventory;
    const element = [...inv.slots, ...inv.unlicensedSlots, ...drives, ...importExport].find(holds);
    if (element && isCleaningCartridge(element))
      throw new TapirError(
        'TAPIR_E_DESTINATION_UNAVAILABLE',
        `${barcode} is a cleaning cartridge; it is never labelled`,
        {
          barcode,
        },
      );
    const slot = inv.slots.find(holds);
    if (!slot) {
      const beyond = inv.unlicensedSlots.find(holds);
      if (beyond) throw beyondLicence(barcode, barcode, beyond, inv);
      const where = element
        ? ` (it is in ${drives.includes(element) ? 'drive' : 'the import/export slot'} ${element.address})`
        : '';
      throw new TapirError(
        'TAPIR_E_NOT_FOUND',
        `${barcode} is not in a storage slot of ${this.library.name}${where}: put it into one of slots ${describeRange(inv.slots)} (tapir media import)`,
        { barcode, device: this.library.name },
      );
    }
    const lock = await ResourceLock.tryAcquire(ResourceLock.directory(ctx.home), this.tapeResource(barcode), ctx.job);
    if (!lock)
      throw new TapirError(
        'TAPIR_E_DRIVE_BUSY',
        `${barcode} is in use by another job; label it when that job is done`,
        {
          barcode,
        },
      );
    const refuse = (why: string) =>
      new TapirError(
        'TAPIR_E_DESTINATION_UNAVAILABLE',
        `${barcode} ${why}; not labelled (use --force to overwrite it)`,
        {
          barcode,
        },
      );
    try {
      const record = await ctx.media?.get(barcode);
      if (record?.state === 'cleaning')
        throw new TapirError('TAPIR_E_DESTINATION_UNAVAILABLE', `${barcode} is recorded as a cleaning cartridge`, {
          barcode,
        });
      if (!force && record?.state === 'retired') throw refuse('is retired');
      const live = record ? ((await ctx.media?.liveSaveSets(barcode)) ?? []) : [];
      if (!force && live.length > 0) throw refuse(`still holds ${live.length} complete save set(s)`);
      await this.library.load(slot.address, mount.element);
      try {
        const drive = mount.drive;
        const { label, blank } = await readVolumeLabel(drive);
        if (!force && !blank && !label) throw refuse('holds data that is not a tapir volume');
        if (!force && label && !record && label.pool !== SCRATCH_POOL)
          throw refuse(
            `carries a tapir label of pool ${label.pool} that this catalog has no record of (read it first: tapir media scan ${barcode})`,
          );
        if (record) {
          const expired = (await ctx.media?.recycle(barcode, `expired: medium ${barcode} was relabelled`)) ?? [];
          if (expired.length)
            ctx.log.warn({ barcode, expired }, `${barcode}: ${expired.length} save set(s) on it are now expired`);
        }
        const { record: labelled } = await this.writeLabel(drive, barcode, pool, `slot ${slot.address}`, ctx);
        return labelled;
      } finally {
        await this.library.unload(mount.element, slot.address);
      }
    } finally {
      await lock.release();
    }
  }

  /**
   * Puts back tapes that killed runs left in drives nobody holds, so that they count as candidates again. Drives
   * reserved by a live job (this process's included) are left alone.
   */
  async clearIdleDrives(ctx: RunContext): Promise<void> {
    const inv = await this.library.inventory();
    const mapped = new Set(await this.library.driveElements());
    for (const d of inv.inventory.drives) {
      if (!d.full || !mapped.has(d.address)) continue;
      const lock = await ResourceLock.tryAcquire(
        ResourceLock.directory(ctx.home),
        this.driveResource(d.address),
        ctx.job,
      );
      if (!lock) continue;
      try {
        const slot = this.homeSlot(d, inv);
        ctx.log.warn(
          { drive: d.address, barcode: d.barcode, slot },
          `drive ${d.address} still holds ${d.barcode ?? 'a tape'}; putting it back into slot ${slot}`,
        );
        await this.library.unload(d.address, slot);
      } catch (error) {
        ctx.log.warn({ err: error, drive: d.address }, `drive ${d.address}: ${(error as Error).message}`);
      } finally {
        await lock.release();
      }
    }
  }

  /** Empties a reserved drive of a tape left there by a killed run (nobody else can hold it: we hold the drive). */
  private async clearDrive(mount: Mount, ctx: RunContext): Promise<void> {
    const inv = await this.library.inventory();
    const element = inv.inventory.drives.find((d) => d.address === mount.element);
    if (!element?.full) return;
    const slot = this.homeSlot(element, inv);
    ctx.log.warn(
      { drive: mount.element, barcode: element.barcode, slot },
      `drive ${mount.element} still holds ${element.barcode ?? 'a tape'}; putting it back into slot ${slot}`,
    );
    await this.library.unload(mount.element, slot);
  }

  /** Where a tape in a drive goes back to: its source slot when licensed and empty, else the first empty licensed slot. */
  private homeSlot(drive: ElementStatus, inv: LicensedInventory): number {
    const source = inv.slots.find((s) => s.address === drive.sourceAddress && !s.full);
    const slot = source ?? inv.slots.find((s) => !s.full);
    if (!slot)
      throw new TapirError(
        'TAPIR_E_ELEMENT_FULL',
        `drive ${drive.address} holds ${drive.barcode ?? 'a tape'} and no licensed slot (${describeRange(inv.slots)}) is free to put it back`,
        { element: drive.address, barcode: drive.barcode },
      );
    return slot.address;
  }

  private driveResource(element: number): string {
    return `${this.library.lockPrefix}-drive-${element}`;
  }

  private tapeResource(barcode: string): string {
    return `tape-${barcode}`;
  }
}

/**
 * Rewinds and reads a tape's first block: its tapir volume label, if it is one (a label of an unknown version counts
 * as none), and whether the tape is blank. An unreadable first block is neither.
 */
async function readVolumeLabel(drive: TapeDrive): Promise<{ label: VolumeLabel | undefined; blank: boolean }> {
  await drive.rewind();
  const first = await drive.readBlock(LABEL_BLOCK_BYTES).catch(() => undefined);
  if (first?.kind !== 'data') return { label: undefined, blank: first?.kind === 'end-of-data' };
  try {
    return { label: decodeLabel(first.data), blank: false };
  } catch {
    return { label: undefined, blank: false };
  }
}

/** The error for a tape that sits in a storage slot beyond the licence: `<what> sits in slot …`. */
function beyondLicence(what: string, barcode: string, beyond: ElementStatus, inv: LicensedInventory): TapirError {
  return new TapirError(
    'TAPIR_E_LICENSE_LIMIT',
    `${what} sits in slot ${beyond.address}, beyond the ${inv.licensed} slots the licence allows (${SLOT_FEATURE}): move it into slots ${describeRange(inv.slots)} or license more slots`,
    { barcode, element: beyond.address, feature: SLOT_FEATURE, licensed: inv.licensed },
  );
}

/** The pool of scratch tapes (a label may name it: `tapir media label --pool scratch`). */
export const SCRATCH_POOL = 'scratch';

/** Whether a tape's retention date has passed (a tape without one is kept for ever). */
function expiredBy(record: MediumRecord, now: string): boolean {
  return record.retainUntil !== undefined && record.retainUntil <= now;
}

export function emptyRecord(barcode: string, state: MediumRecord['state']): MediumRecord {
  return { id: barcode, kind: 'tape', pool: 'scratch', state, files: 0, bytes: 0 };
}
