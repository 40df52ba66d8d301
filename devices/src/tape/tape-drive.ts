import { EventEmitter } from 'node:events';
import { TapirError } from '@tapir/sdk';
import { ScsiDevice, type DeviceOptions } from '../scsi/scsi-device.js';
import { ScsiStatus, opcodeName, type ScsiRequest, type ScsiResponse } from '../scsi/request.js';
import { describeSense, type Sense } from '../scsi/sense.js';
import { DeviceType, modeParameters6, modeSelect6, modeSense6, parseModeSense6 } from '../scsi/spc.js';
import { testUnitReady } from '../scsi/spc.js';
import {
  loadUnload,
  locate10,
  parseBlockLimits,
  read6,
  readBlockLimits,
  rewind,
  space6,
  SpaceCode,
  write6,
  writeFilemarks6,
  type BlockLimits,
} from '../scsi/ssc.js';
import type { Transport } from '../transport/transport.js';
import { BEGINNING_OF_TAPE, UNKNOWN_POSITION, isKnown, type TapePosition } from './tape-position.js';
import type { EarlyWarning, TapeRead } from './tape-read.js';
import {
  TapeReadStream,
  TapeWriteStream,
  type TapeReadStreamOptions,
  type TapeWriteStreamOptions,
} from './tape-streams.js';

/** READ(6), WRITE(6), WRITE FILEMARKS(6), SPACE(6): commands whose effect depends on where the tape is. */
const POSITIONAL_OPCODES = new Set([0x08, 0x0a, 0x10, 0x11]);

/** Options for {@link TapeDrive.open}. */
export interface TapeDriveOptions extends DeviceOptions {
  /** Timeout for commands that move tape (space, rewind, locate). Default 15 minutes, as long seeks on real drives take. */
  readonly motionTimeoutMs?: number;
}

/** What TEST UNIT READY says about a drive. */
export type TapeReadiness = 'ready' | 'no-medium' | 'becoming-ready' | 'not-ready';

/** The events a {@link TapeDrive} emits. */
export interface TapeDriveEvents {
  /** A write crossed into the early-warning zone near the end of the medium. The block was written. Once per load. */
  'early-warning': [EarlyWarning];
  /** The drive's position became unknown (reset, medium change, reconnect); rewind or seek end of data. */
  'position-lost': [reason: string];
  /**
   * The drive asked for cleaning (sense 00/17, usually on a command that completed with RECOVERED ERROR or NO SENSE).
   * Once per drive object until {@link TapeDrive.cleaned} is called.
   */
  'cleaning-requested': [CleaningRequest];
}

/** A drive's request for cleaning, as the {@link TapeDrive} `cleaning-requested` event reports it. */
export interface CleaningRequest {
  device: string;
  /** The command during which the drive said so, e.g. `WRITE(6)`. */
  command: string;
}

/**
 * A sequential-access (tape) drive: position tracked in software, block reads and writes, streams with backpressure,
 * early warning as an event, append at end of data.
 *
 * @remarks
 * Commands are issued one at a time by the caller's awaits; do not interleave two operations on one drive.
 * Position-dependent commands refuse to run when the position was lost (after a reset or reconnect) so that a write
 * never lands at an unknown place: rewind or {@link TapeDrive.seekEndOfData} first.
 *
 * @example
 * ```ts
 * const drive = await TapeDrive.open(transport, 1, { name: 'drive0' });
 * await drive.waitReady();
 * await drive.seekEndOfData();
 * drive.on('early-warning', () => console.log('tape nearly full'));
 * await pipeline(source, drive.createWriteStream({ blockSize: 262144 }));
 * ```
 */
export class TapeDrive extends ScsiDevice {
  private readonly events = new EventEmitter();
  private pos: TapePosition = UNKNOWN_POSITION;
  private hasMedium = false;
  private warned = false;
  private cleaning = false;
  private fixedBlockSize = 0;
  private nexusSeen: number | undefined;
  private readonly motionTimeoutMs: number;

  /**
   * Probes `lun` on `transport` and returns a drive object. The drive need not hold a tape.
   * Throws `TAPIR_E_DEVICE` when the unit is not a tape drive.
   */
  static async open(transport: Transport, lun: number, options: TapeDriveOptions = {}): Promise<TapeDrive> {
    const probed = await ScsiDevice.probe(transport, lun, options);
    if (probed.identity.deviceType !== DeviceType.TAPE)
      throw new TapirError(
        'TAPIR_E_DEVICE',
        `${options.name ?? `${transport.name}/${lun}`} is not a tape drive (device type ${probed.identity.deviceType})`,
        {
          device: options.name ?? transport.name,
          lun,
        },
      );
    const drive = new TapeDrive(transport, lun, probed.identity, probed.quirks, probed.capabilities, options);
    // A tape found already loaded may be anywhere: its position stays unknown until a rewind or seek.
    if ((await drive.ready()) === 'ready') drive.pos = UNKNOWN_POSITION;
    return drive;
  }

  private constructor(
    ...args: [
      Transport,
      number,
      ScsiDevice['identity'],
      ScsiDevice['quirks'],
      ScsiDevice['capabilities'],
      TapeDriveOptions,
    ]
  ) {
    super(...args);
    this.motionTimeoutMs = args[5].motionTimeoutMs ?? 15 * 60_000;
    this.nexusSeen = args[0].nexus;
  }

  /** Subscribes to a drive event. */
  on<E extends keyof TapeDriveEvents>(event: E, listener: (...args: TapeDriveEvents[E]) => void): this {
    this.events.on(event, listener as (...a: unknown[]) => void);
    return this;
  }

  /** Unsubscribes from a drive event. */
  off<E extends keyof TapeDriveEvents>(event: E, listener: (...args: TapeDriveEvents[E]) => void): this {
    this.events.off(event, listener as (...a: unknown[]) => void);
    return this;
  }

  /** True once the drive has asked for cleaning (sense 00/17), until {@link TapeDrive.cleaned}. */
  get cleaningRequested(): boolean {
    return this.cleaning;
  }

  /** Forgets a cleaning request, after the drive was cleaned; a new request is reported again. */
  cleaned(): void {
    this.cleaning = false;
  }

  /** The software-tracked position. */
  get position(): TapePosition {
    return this.pos;
  }

  /** Whether the last readiness check found a tape in the drive. */
  get loaded(): boolean {
    return this.hasMedium;
  }

  /** The block size in force: 0 for variable-length blocks. */
  get blockSize(): number {
    return this.fixedBlockSize;
  }

  /** Asks the drive once whether it is ready; notes a newly loaded tape (position at its beginning). */
  async ready(): Promise<TapeReadiness> {
    const r = await this.command(testUnitReady(), false);
    let state: TapeReadiness;
    if (r.status === ScsiStatus.GOOD) state = 'ready';
    else if (r.sense?.conditions.has('no-medium')) state = 'no-medium';
    else if (r.sense?.conditions.has('becoming-ready')) state = 'becoming-ready';
    else if (r.status === ScsiStatus.CHECK_CONDITION && r.sense?.conditions.has('not-ready')) state = 'not-ready';
    else if (r.status === ScsiStatus.BUSY) state = 'becoming-ready';
    else throw this.error('TAPIR_E_DEVICE', testUnitReady(), r.sense, {}, r.status);
    if (state === 'ready' && !this.hasMedium) {
      // A tape that just arrived is at its beginning (tgt positions after BOT on MOVE MEDIUM and sends no UNIT ATTENTION).
      this.hasMedium = true;
      this.warned = false;
      this.pos = BEGINNING_OF_TAPE;
      await this.refreshBlockSize();
    } else if (state !== 'ready' && this.hasMedium) {
      this.hasMedium = false;
      this.pos = UNKNOWN_POSITION;
    }
    return state;
  }

  /** Polls until a tape is loaded and ready; throws `TAPIR_E_DEVICE_TIMEOUT` naming the last state otherwise. */
  async waitReady(timeoutMs = 60_000, intervalMs = 100): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const state = await this.ready();
      if (state === 'ready') return;
      if (Date.now() >= deadline)
        throw new TapirError('TAPIR_E_DEVICE_TIMEOUT', `${this.name}: not ready within ${timeoutMs} ms (${state})`, {
          device: this.name,
          lun: this.lun,
          state,
        });
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }

  /** The block sizes the drive accepts. */
  async blockLimits(): Promise<BlockLimits> {
    return parseBlockLimits((await this.run(readBlockLimits())).data);
  }

  /** Switches between variable (0) and fixed-size blocks with MODE SELECT(6) (header and block descriptor only). */
  async setBlockSize(size: number): Promise<void> {
    await this.run(modeSelect6(modeParameters6({ blockDescriptor: { density: 0, blocks: 0, blockLength: size } })));
    await this.refreshBlockSize();
  }

  /** Rewinds to the beginning of the tape. */
  async rewind(): Promise<void> {
    await this.expectGood(rewind(), false, true);
    this.pos = BEGINNING_OF_TAPE;
  }

  /**
   * Writes one block (variable mode) or whole fixed-size blocks at the current position.
   *
   * @returns `earlyWarning: true` when the drive reported the early-warning zone; the data was written.
   * @throws `TAPIR_E_DEVICE` on volume overflow (data not written) or any other error; the position is then unknown.
   */
  async writeBlock(data: Uint8Array): Promise<{ earlyWarning: boolean }> {
    this.requireKnownPosition('write');
    const request = write6(data, this.fixedBlockSize ? { blockSize: this.fixedBlockSize } : {});
    const r = await this.command(request, true);
    const blocks = this.fixedBlockSize ? data.length / this.fixedBlockSize : 1;
    if (r.status === ScsiStatus.GOOD || completedWithSense(r)) {
      this.advance(blocks, true);
      return { earlyWarning: false };
    }
    const sense = r.sense;
    if (
      r.status === ScsiStatus.CHECK_CONDITION &&
      sense?.conditions.has('early-warning') &&
      !sense.conditions.has('volume-overflow')
    ) {
      const notWritten = sense.information !== undefined && sense.information > 0;
      if (!notWritten && (sense.key === 0 || sense.key === 1)) {
        this.advance(blocks, true);
        if (!this.warned) {
          this.warned = true;
          this.events.emit('early-warning', {
            device: this.name,
            file: this.pos.file,
            block: this.pos.block,
          } satisfies EarlyWarning);
        }
        return { earlyWarning: true };
      }
    }
    this.lose(`write failed: ${sense ? describeSense(sense) : `status ${r.status}`}`);
    throw this.error('TAPIR_E_DEVICE', request, sense, { position: this.pos }, r.status);
  }

  /** Writes `count` filemarks (0 flushes the drive's buffer). */
  async writeFilemarks(count = 1): Promise<void> {
    this.requireKnownPosition('write filemarks');
    const request = writeFilemarks6(count);
    const r = await this.command(request, true);
    const ok =
      r.status === ScsiStatus.GOOD ||
      completedWithSense(r) ||
      (r.sense?.conditions.has('early-warning') && r.sense.key === 0);
    if (!ok) {
      this.lose('write filemarks failed');
      throw this.error('TAPIR_E_DEVICE', request, r.sense, {}, r.status);
    }
    if (count > 0)
      this.pos = { file: this.pos.file === undefined ? undefined : this.pos.file + count, block: 0, atEndOfData: true };
  }

  /**
   * Reads the next block.
   *
   * @param maxLength - the largest block expected, in bytes (variable mode) — a bigger block is an error.
   * In fixed mode one block of the fixed size is read.
   */
  async readBlock(maxLength = 1 << 20): Promise<TapeRead> {
    this.requireKnownPosition('read');
    const first = await this.readOnce(this.fixedBlockSize ? 1 : maxLength, maxLength);
    if (first !== 'truncated') return first;
    // tgt < 1.0.94 sent only (request − block) bytes of a block shorter than the request (quirk
    // variableReadNeedsDoubleRequest): step back over it and read it again asking for twice the largest block.
    await this.expectGood(space6(SpaceCode.BLOCKS, -1), true, true);
    this.advance(-1, false);
    const second = await this.readOnce(Math.min(0xffffff, maxLength * 2), maxLength);
    if (second === 'truncated')
      throw new TapirError('TAPIR_E_DEVICE', `${this.name}: block arrived truncated twice`, {
        device: this.name,
        lun: this.lun,
      });
    return second;
  }

  /** One READ(6); `truncated` when a quirky device sent less than the block and the caller may re-read it. */
  private async readOnce(requestLength: number, maxLength: number): Promise<TapeRead | 'truncated'> {
    const fixed = this.fixedBlockSize;
    const request = read6(requestLength, fixed ? { blockSize: fixed } : {});
    const r = await this.command(request, true);
    if (r.status === ScsiStatus.GOOD || completedWithSense(r)) {
      this.advance(1, false);
      return { kind: 'data', data: r.data };
    }
    const sense = r.sense;
    if (r.status !== ScsiStatus.CHECK_CONDITION || !sense) {
      this.lose('read failed');
      throw this.error('TAPIR_E_DEVICE', request, sense, {}, r.status);
    }
    // Data that comes with a filemark or end of data is junk on tgt 1.0.85 (quirk junkDataOnCheckCondition): dropped.
    if (sense.conditions.has('filemark')) {
      this.pos = { file: this.pos.file === undefined ? undefined : this.pos.file + 1, block: 0, atEndOfData: false };
      return { kind: 'filemark' };
    }
    if (sense.conditions.has('end-of-data')) {
      this.pos = { ...this.pos, atEndOfData: true };
      return { kind: 'end-of-data' };
    }
    if (sense.conditions.has('incorrect-length') && sense.information !== undefined && !fixed) {
      // Variable mode: INFORMATION is the request minus the block length (negative for a block over the request).
      const length = requestLength - sense.information;
      this.advance(1, false);
      if (sense.information < 0 || length > maxLength) {
        throw this.error('TAPIR_E_DEVICE', request, sense, {
          blockLength: length,
          maxLength,
          reason: 'block larger than the read size',
        });
      }
      if (r.data.length < length) {
        if (this.quirks.variableReadNeedsDoubleRequest) return 'truncated';
        this.lose('short data');
        throw this.error('TAPIR_E_DEVICE', request, sense, {
          blockLength: length,
          received: r.data.length,
          reason: 'device sent less data than the block holds',
        });
      }
      return { kind: 'data', data: r.data.subarray(0, length) };
    }
    this.lose(`read failed: ${describeSense(sense)}`);
    throw this.error('TAPIR_E_DEVICE', request, sense, {});
  }

  /** Spaces over `count` filemarks (negative: backwards). Ends at the start of the file after the last one passed. */
  async spaceFilemarks(count: number): Promise<void> {
    if (count === 0) return;
    const r = await this.command(space6(SpaceCode.FILEMARKS, count), true, true);
    if (r.status === ScsiStatus.GOOD) {
      // tgt stops one block short when spacing backwards over filemarks (quirk reverseFilemarkSpaceOneBlockShort).
      if (count < 0 && this.quirks.reverseFilemarkSpaceOneBlockShort)
        await this.expectGood(space6(SpaceCode.BLOCKS, 1), false, true);
      const file = this.pos.file === undefined ? undefined : this.pos.file + count;
      // Forward spacing ends at the start of a file; backwards it ends just before a filemark, at the end of an
      // earlier file whose block number is unknown.
      this.pos = { file, block: count > 0 ? 0 : undefined, atEndOfData: false };
      return;
    }
    this.spaceStopped(r, space6(SpaceCode.FILEMARKS, count));
  }

  /**
   * Spaces over `count` blocks within the current file (negative: backwards).
   *
   * @remarks
   * On drives with the `blockSpaceCrossesFilemarks` quirk (tgt) a filemark counts as a block and is passed without
   * notice, so space only within a file whose block count you know.
   */
  async spaceBlocks(count: number): Promise<void> {
    if (count === 0) return;
    const r = await this.command(space6(SpaceCode.BLOCKS, count), true, true);
    if (r.status === ScsiStatus.GOOD) {
      this.pos = {
        file: this.pos.file,
        block: this.pos.block === undefined ? undefined : this.pos.block + count,
        atEndOfData: false,
      };
      return;
    }
    this.spaceStopped(r, space6(SpaceCode.BLOCKS, count));
  }

  /**
   * Moves to end of data with the file number known, so that the next write appends: rewinds, counts filemarks up
   * to end of data, then checks for blocks after the last filemark.
   *
   * @remarks
   * Costs one SPACE per tape file. {@link TapeDrive.spaceToEndOfData} is a single command but leaves the file number
   * unknown.
   */
  async seekEndOfData(): Promise<TapePosition> {
    await this.rewind();
    let files = 0;
    for (;;) {
      const r = await this.command(space6(SpaceCode.FILEMARKS, 1), false, true);
      if (r.status === ScsiStatus.GOOD) {
        files++;
        continue;
      }
      if (r.sense?.conditions.has('end-of-data')) break;
      this.lose('space failed');
      throw this.error('TAPIR_E_DEVICE', space6(SpaceCode.FILEMARKS, 1), r.sense, {}, r.status);
    }
    // End of data is either right after the last filemark or after blocks that no filemark closed; only in the first
    // case is the block number 0. Go to the start of the last file and probe one block.
    await this.rewind();
    if (files > 0) await this.expectGood(space6(SpaceCode.FILEMARKS, files), false, true);
    const probe = await this.command(space6(SpaceCode.BLOCKS, 1), false, true);
    const trailing = probe.status === ScsiStatus.GOOD;
    if (trailing) await this.command(space6(SpaceCode.END_OF_DATA), false, true);
    this.pos = { file: files, block: trailing ? undefined : 0, atEndOfData: true };
    return this.pos;
  }

  /** One SPACE to end of data: fast, but the file and block numbers become unknown (see {@link TapeDrive.seekEndOfData}). */
  async spaceToEndOfData(): Promise<void> {
    const r = await this.command(space6(SpaceCode.END_OF_DATA), false, true);
    // tgt answers NO SENSE 00/05 when already there; anything that is not end of data is a failure.
    if (r.status !== ScsiStatus.GOOD && !r.sense?.conditions.has('end-of-data'))
      throw this.error('TAPIR_E_DEVICE', space6(SpaceCode.END_OF_DATA), r.sense, {}, r.status);
    this.pos = { file: undefined, block: undefined, atEndOfData: true };
  }

  /** LOCATE(10) to a logical block; only on drives that support it (tgt does not). */
  async locate(block: number): Promise<void> {
    if (!this.capabilities.locate)
      throw new TapirError('TAPIR_E_DEVICE', `${this.name} does not support LOCATE; use space operations`, {
        device: this.name,
        lun: this.lun,
      });
    await this.expectGood(locate10(block), false, true);
    this.pos = { file: undefined, block: undefined, atEndOfData: false };
  }

  /**
   * Rewinds and unloads. On drives whose LOAD UNLOAD does nothing (tgt), the changer's MOVE MEDIUM does the unload;
   * the standard command is still sent.
   */
  async unload(): Promise<void> {
    await this.expectGood(rewind(), false, true);
    const r = await this.command(loadUnload(false), false, true);
    if (r.status !== ScsiStatus.GOOD && !r.sense?.conditions.has('no-medium'))
      throw this.error('TAPIR_E_DEVICE', loadUnload(false), r.sense, {}, r.status);
    // The next ready tape counts as newly loaded, at its beginning: where tgt ignores the unload the tape is still in
    // the drive but rewound, and a changer's MOVE MEDIUM takes it out.
    this.hasMedium = false;
    this.pos = UNKNOWN_POSITION;
  }

  /** A writable stream that cuts its input into blocks and writes them; finishing writes the last short block and a filemark. */
  createWriteStream(options: TapeWriteStreamOptions = {}): TapeWriteStream {
    return new TapeWriteStream(this, options);
  }

  /** A readable stream of the current tape file's data; it ends at the next filemark or at end of data. */
  createReadStream(options: TapeReadStreamOptions = {}): TapeReadStream {
    return new TapeReadStream(this, options);
  }

  private async refreshBlockSize(): Promise<void> {
    const r = await this.exec(modeSense6({ page: 0x00, allocationLength: 12 }));
    if (r.status !== ScsiStatus.GOOD) return;
    const params = parseModeSense6(r.data);
    this.fixedBlockSize = params.blockDescriptors[0]?.blockLength ?? 0;
  }

  /** Counts blocks moved over; a write leaves the tape at end of data, a read does not. */
  private advance(blocks: number, written: boolean): void {
    this.pos = {
      file: this.pos.file,
      block: this.pos.block === undefined ? undefined : this.pos.block + blocks,
      atEndOfData: written,
    };
  }

  private lose(reason: string): void {
    if (this.pos === UNKNOWN_POSITION) return;
    this.pos = UNKNOWN_POSITION;
    this.events.emit('position-lost', reason);
  }

  private requireKnownPosition(what: string): void {
    if (!this.hasMedium)
      throw new TapirError('TAPIR_E_DEVICE', `${this.name}: cannot ${what}: no tape loaded (call waitReady)`, {
        device: this.name,
        lun: this.lun,
      });
    // Writes need file and block known (or end of data); reads need the file known, the block may be unknown after
    // spacing backwards.
    const ok = what === 'read' ? this.pos.file !== undefined : isKnown(this.pos) || this.pos.atEndOfData;
    if (!ok)
      throw new TapirError(
        'TAPIR_E_DEVICE',
        `${this.name}: cannot ${what}: tape position unknown; rewind or seek end of data first`,
        {
          device: this.name,
          lun: this.lun,
        },
      );
  }

  /**
   * Executes a command, noticing reconnects and UNIT ATTENTION (see {@link TapeDrive.unitAttention}): a command that
   * depends on the position fails rather than run at an unknown place.
   */
  private async command(request: ScsiRequest, positional: boolean, motion = false): Promise<ScsiResponse> {
    const timed = motion && request.timeoutMs === undefined ? { ...request, timeoutMs: this.motionTimeoutMs } : request;
    if (this.transport.nexus !== this.nexusSeen) {
      this.nexusSeen = this.transport.nexus;
      this.lose('the connection to the drive was re-established');
      if (positional)
        throw new TapirError(
          'TAPIR_E_DEVICE',
          `${this.name}: connection re-established, tape position unknown; rewind or seek end of data`,
          { device: this.name, lun: this.lun },
        );
    }
    let r: ScsiResponse;
    try {
      r = await this.exec(timed);
    } catch (err) {
      // A command that got no answer means the session is gone; the next one runs on a new nexus, maybe after a reset.
      this.lose(`command failed: ${(err as Error).message}`);
      throw err;
    }
    if (this.transport.nexus !== this.nexusSeen) this.nexusSeen = this.transport.nexus;
    if (r.sense?.conditions.has('cleaning-requested') && !this.cleaning) {
      this.cleaning = true;
      this.events.emit('cleaning-requested', {
        device: this.name,
        command: opcodeName(request.cdb[0] ?? 0),
      } satisfies CleaningRequest);
    }
    if (r.status === ScsiStatus.CHECK_CONDITION && r.sense?.conditions.has('unit-attention'))
      throw this.error('TAPIR_E_DEVICE', request, r.sense, { reason: 'position lost; rewind or seek end of data' });
    return r;
  }

  /** A UNIT ATTENTION (reset, medium change) loses the position; only commands that do not depend on it are repeated. */
  protected override unitAttention(sense: Sense, request: ScsiRequest): boolean {
    this.lose(`unit attention: ${describeSense(sense)}`);
    if (sense.conditions.has('medium-changed')) this.hasMedium = false;
    return !POSITIONAL_OPCODES.has(request.cdb[0] ?? 0);
  }

  private async expectGood(request: ScsiRequest, positional: boolean, motion: boolean): Promise<void> {
    const r = await this.command(request, positional, motion);
    if (r.status !== ScsiStatus.GOOD && !completedWithSense(r)) {
      this.lose('command failed');
      throw this.error('TAPIR_E_DEVICE', request, r.sense, {}, r.status);
    }
  }

  private spaceStopped(r: ScsiResponse, request: ScsiRequest): never | void {
    const sense = r.sense;
    if (sense?.conditions.has('beginning-of-medium')) {
      this.pos = BEGINNING_OF_TAPE;
      throw this.error('TAPIR_E_DEVICE', request, sense, { reason: 'reached the beginning of the tape' });
    }
    if (sense?.conditions.has('end-of-data')) {
      this.pos = { file: undefined, block: undefined, atEndOfData: true };
      throw this.error('TAPIR_E_DEVICE', request, sense, { reason: 'reached end of data' });
    }
    if (sense?.conditions.has('filemark')) {
      this.lose('spacing blocks stopped at a filemark');
      throw this.error('TAPIR_E_DEVICE', request, sense, { reason: 'stopped at a filemark' });
    }
    this.lose('space failed');
    throw this.error('TAPIR_E_DEVICE', request, sense, {}, r.status);
  }
}

/**
 * A CHECK CONDITION that still means the command did all it was asked: current sense with key NO SENSE or RECOVERED
 * ERROR and nothing about the position (filemark, end of data, early warning, incorrect length, overflow), such as
 * RECOVERED ERROR with 00/17 "cleaning requested".
 */
function completedWithSense(r: ScsiResponse): boolean {
  const sense = r.sense;
  if (r.status !== ScsiStatus.CHECK_CONDITION || !sense?.current) return false;
  if (sense.key !== 0 && sense.key !== 1) return false;
  for (const c of POSITION_CONDITIONS) if (sense.conditions.has(c)) return false;
  return sense.key === 1 || sense.conditions.has('cleaning-requested');
}

const POSITION_CONDITIONS = [
  'filemark',
  'end-of-data',
  'early-warning',
  'incorrect-length',
  'volume-overflow',
  'beginning-of-medium',
] as const;
