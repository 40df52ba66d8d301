import type {
  Destination,
  Extent,
  LabelMediaOptions,
  MediumRecord,
  RunContext,
  SaveSetInfo,
  SaveSetReader,
  SaveSetWriter,
} from '@tapir/sdk';
import type { Mount } from './Mount.js';
import { resolveOptions, type ResolvedTapeOptions, type TapeOptions } from './options.js';
import { SLOT_FEATURE, TapeLibrary, UNLICENSED_SLOTS } from './TapeLibrary.js';
import { TapeMounts } from './TapeMounts.js';
import { scanPool } from './TapeScanner.js';
import { TapeSaveSetReader } from './TapeSaveSetReader.js';
import { TapeSaveSetWriter } from './TapeSaveSetWriter.js';

/**
 * Tapes in a library reached over iSCSI: each save set is one tape file (several when it spans tapes) of fixed-size
 * blocks, appended after the data already on a tape of the pool; tape file 0 is the volume label.
 *
 * @remarks
 * Drives and tapes are reserved with lock files under `<home>/locks`, so that two jobs never use one drive. Between
 * save sets of one run the tape stays loaded; {@link TapeDestination.close} unloads it and gives the drive up.
 */
export class TapeDestination implements Destination {
  readonly description: string;
  private readonly options: ResolvedTapeOptions;
  private mounts: Promise<TapeMounts> | undefined;
  private readonly idle: Mount[] = [];
  private readonly busy = new Set<Mount>();
  private closeCtx: RunContext | undefined;

  constructor(options: TapeOptions) {
    this.options = resolveOptions(options);
    this.description = `tape:${this.options.changer.url} pool ${this.options.pool}`;
  }

  /** Connects to the library and fails, before anything is written, when the pool has no tape to write on. */
  async check(ctx: RunContext): Promise<void> {
    try {
      const mounts = await this.connect(ctx);
      await mounts.clearIdleDrives(ctx);
      const found = await mounts.candidates(ctx);
      const loaded = this.idle.some((m) => m.tape);
      if (found.writable.length === 0 && !loaded) throw mounts.noTapeError(found);
    } catch (error) {
      // tapir does not close a destination whose check failed; an open iSCSI session would keep the process alive.
      await this.close();
      throw error;
    }
  }

  async create(info: SaveSetInfo, ctx: RunContext): Promise<SaveSetWriter> {
    const mounts = await this.connect(ctx);
    const mount = this.idle.shift() ?? (await mounts.reserveDrive(ctx));
    this.busy.add(mount);
    return new TapeSaveSetWriter(
      mounts,
      mount,
      this.options.blockSize,
      this.options.retentionDays,
      info,
      ctx,
      async (m, reusable) => {
        this.busy.delete(m);
        if (reusable && m.tape) this.idle.push(m);
        else await mounts.release(m, ctx);
      },
    );
  }

  async open(extents: Extent[], ctx: RunContext): Promise<SaveSetReader> {
    const mounts = await this.connect(ctx);
    try {
      // Every tape the save set needs is looked for first: a missing one is named before anything is restored.
      await mounts.requirePresent(
        extents.flatMap((e) => (e.medium ? [e.medium] : [])),
        ctx,
      );
    } catch (error) {
      // tapir does not close a destination whose open() failed; an open iSCSI session would keep the process alive.
      await this.close();
      throw error;
    }
    return new TapeSaveSetReader(mounts, extents, ctx);
  }

  /**
   * Nothing to do on tape: a save set's files stay where they are until the tape is recycled (relabelled), which
   * drops every save set on it at once.
   */
  async remove(_extents: Extent[], _ctx: RunContext): Promise<void> {}

  /**
   * Nothing to do on tape: a killed run's partial file is simply not in the catalog, and the next append goes after
   * it (end of data), closing it with a filemark when the run could not.
   */
  async discard(_saveSetId: string, _ctx: RunContext): Promise<void> {}

  /**
   * Every save set on the pool's tapes in the licensed slots (or on the `scanMedia` tapes, whatever their pool), read
   * from the tapes alone (labels, continuation markers, save-set headers), for `tapir catalog rebuild` and
   * `tapir media scan`. Loads every tape in turn.
   */
  async list(ctx: RunContext): Promise<Extent[][]> {
    try {
      return await scanPool(await this.connect(ctx), this.options.pool, ctx, this.options.scanMedia);
    } catch (error) {
      // As for check(): tapir does not close a destination whose list() failed.
      await this.close();
      throw error;
    }
  }

  /** Labels the tapes one after the other in one reserved drive (`tapir media label`). */
  async labelMedia(ids: string[], options: LabelMediaOptions, ctx: RunContext): Promise<MediumRecord[]> {
    const mounts = await this.connect(ctx);
    await mounts.clearIdleDrives(ctx);
    const mount = await mounts.reserveDrive(ctx);
    try {
      const out: MediumRecord[] = [];
      for (const id of ids) {
        ctx.signal.throwIfAborted();
        out.push(await mounts.labelTape(mount, id, options.pool, options.force, ctx));
        ctx.log.info({ barcode: id, pool: options.pool }, `${id} labelled into pool ${options.pool}`);
      }
      return out;
    } finally {
      await mounts.release(mount, ctx);
    }
  }

  async close(): Promise<void> {
    const pending = this.mounts;
    this.mounts = undefined;
    if (!pending) return;
    const mounts = await pending.catch(() => undefined);
    if (!mounts) return;
    const ctx = this.closeCtx!;
    for (const m of [...this.idle, ...this.busy])
      await mounts
        .release(m, ctx)
        .catch((error: Error) => ctx.log.warn({ err: error }, `releasing drive ${m.element}: ${error.message}`));
    this.idle.length = 0;
    this.busy.clear();
    await mounts.library.close();
  }

  private connect(ctx: RunContext): Promise<TapeMounts> {
    this.closeCtx ??= ctx;
    this.mounts ??= (async () => {
      const licensed = ctx.licenses ? await ctx.licenses.count(SLOT_FEATURE) : UNLICENSED_SLOTS;
      const library = await TapeLibrary.open(this.options.changer, licensed, ctx.log);
      return new TapeMounts(library, this.options);
    })();
    this.mounts.catch(() => (this.mounts = undefined));
    return this.mounts;
  }
}
