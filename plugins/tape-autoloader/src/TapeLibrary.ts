import {
  DeviceType,
  IscsiTransport,
  MediaChanger,
  ScsiStatus,
  TapeDrive,
  deviceIdSerial,
  inquiry,
  parseInquiry,
  parseIscsiUrl,
  parseReportLuns,
  parseUnitSerialNumber,
  reportLuns,
  type ChangerInventory,
  type ElementStatus,
} from '@tapir/devices';
import { TapirError, type Logger } from '@tapir/sdk';
import type { TapeChangerOptions } from './options.js';

/** Storage slots an unlicensed installation may use (docs/licensing.md). */
export const UNLICENSED_SLOTS = 4;

/** The licence feature that counts changer slots. */
export const SLOT_FEATURE = 'autoloader.slots';

/** A changer's inventory split by what the licence lets tapir address. */
export interface LicensedInventory {
  readonly inventory: ChangerInventory;
  /** The first `licensed` storage slots in address order: the only ones tapir reads from or puts tapes into. */
  readonly slots: readonly ElementStatus[];
  /** Storage slots beyond the licence: never addressed. */
  readonly unlicensedSlots: readonly ElementStatus[];
  readonly licensed: number;
}

/**
 * One tape library: its changer over iSCSI, its drives by drive element, and the licence's limit on storage slots.
 * Sessions are opened lazily and closed by {@link TapeLibrary.close}.
 */
export class TapeLibrary {
  private readonly transports = new Map<string, Promise<IscsiTransport>>();
  private readonly drives = new Map<number, Promise<TapeDrive>>();
  private driveUnits: Map<number, { target: string; lun: number }> | undefined;
  private told = false;

  private constructor(
    readonly name: string,
    readonly changer: MediaChanger,
    private readonly target: string,
    private readonly options: TapeChangerOptions,
    readonly licensed: number,
    private readonly log: Logger,
  ) {}

  /** Connects to the changer. `licensed` is the `autoloader.slots` count in effect. */
  static async open(options: TapeChangerOptions, licensed: number, log: Logger): Promise<TapeLibrary> {
    const address = parseIscsiUrl(options.url);
    if (!address.targetName)
      throw new TapirError('TAPIR_E_CONFIG_INVALID', `the changer URL ${options.url} names no target`, {
        device: options.url,
      });
    const target = `iscsi://${address.host}:${address.port}/${address.targetName}`;
    const timeoutMs = options.timeoutSeconds ? options.timeoutSeconds * 1000 : undefined;
    const transports = new Map<string, Promise<IscsiTransport>>();
    const transport = IscsiTransport.connect({
      host: address.host,
      port: address.port,
      targetName: address.targetName,
      ...(timeoutMs ? { timeoutMs } : {}),
    });
    transports.set(target, transport);
    try {
      const t = await transport;
      const lun = options.lun ?? address.lun ?? (await onlyUnit(t, target, DeviceType.MEDIUM_CHANGER));
      const name = `${target}/${lun}`;
      const changer = await MediaChanger.open(t, lun, { name });
      const library = new TapeLibrary(name, changer, target, options, licensed, log);
      for (const [k, v] of transports) library.transports.set(k, v);
      return library;
    } catch (error) {
      await (await transport.catch(() => undefined))?.close().catch(() => {});
      throw error;
    }
  }

  /** A string naming this library in lock files. */
  get lockPrefix(): string {
    return this.name.replace(/^iscsi:\/\//, '');
  }

  /** A fresh inventory, with the storage slots cut to the licence (said once in the log). */
  async inventory(): Promise<LicensedInventory> {
    const inventory = await this.changer.inventory();
    const slots = inventory.slots.slice(0, this.licensed);
    const unlicensedSlots = inventory.slots.slice(this.licensed);
    if (!this.told) {
      this.told = true;
      if (unlicensedSlots.length > 0)
        this.log.info(
          { device: this.name, slots: inventory.slots.length, licensed: this.licensed, feature: SLOT_FEATURE },
          `${this.name}: the library has ${inventory.slots.length} storage slots; the licence (${SLOT_FEATURE}) allows ${this.licensed}: using slots ${describeRange(slots)} only, slots ${describeRange(unlicensedSlots)} are not addressed`,
        );
      else
        this.log.info(
          { device: this.name, slots: inventory.slots.length, licensed: this.licensed, feature: SLOT_FEATURE },
          `${this.name}: using all ${inventory.slots.length} storage slots (${SLOT_FEATURE}: ${this.licensed})`,
        );
    }
    return { inventory, slots, unlicensedSlots, licensed: this.licensed };
  }

  /** Drive element addresses that have a known drive, in address order. */
  async driveElements(): Promise<number[]> {
    return [...(await this.units()).keys()].sort((a, b) => a - b);
  }

  /** The tape drive in a drive element, opened once. */
  async drive(element: number): Promise<TapeDrive> {
    let drive = this.drives.get(element);
    if (!drive) {
      const unit = (await this.units()).get(element);
      if (!unit)
        throw new TapirError(
          'TAPIR_E_NOT_FOUND',
          `${this.name}: which drive sits in drive element ${element} is not known; map it under changer.drives`,
          { device: this.name, element },
        );
      drive = this.transport(unit.target).then((t) => TapeDrive.open(t, unit.lun, { name: `drive ${element}` }));
      this.drives.set(element, drive);
      drive.catch(() => this.drives.delete(element));
    }
    return drive;
  }

  /** Moves a tape from a slot into a drive and waits until the drive is ready. */
  async load(slot: number, element: number): Promise<TapeDrive> {
    const drive = await this.drive(element);
    await this.changer.move(slot, element);
    await drive.waitReady(120_000);
    // Data blocks of one size are written in variable mode; a drive left in fixed mode by someone else is reset.
    if (drive.blockSize !== 0) await drive.setBlockSize(0);
    return drive;
  }

  /** Rewinds, unloads and puts the tape in a drive element back into `slot`. */
  async unload(element: number, slot: number): Promise<void> {
    const drive = await this.drive(element);
    await drive
      .unload()
      .catch((error: Error) => this.log.warn({ err: error }, `drive ${element}: unload: ${error.message}`));
    await this.changer.move(element, slot);
  }

  /** Logs out of every session. */
  async close(): Promise<void> {
    for (const t of this.transports.values()) await (await t.catch(() => undefined))?.close().catch(() => {});
    this.transports.clear();
    this.drives.clear();
  }

  private transport(target: string): Promise<IscsiTransport> {
    let t = this.transports.get(target);
    if (!t) {
      const a = parseIscsiUrl(target);
      const timeoutMs = this.options.timeoutSeconds ? this.options.timeoutSeconds * 1000 : undefined;
      t = IscsiTransport.connect({
        host: a.host,
        port: a.port,
        targetName: a.targetName!,
        ...(timeoutMs ? { timeoutMs } : {}),
      });
      this.transports.set(target, t);
    }
    return t;
  }

  /** Drive element → drive: configured first, then by matching serial numbers on the changer's target. */
  private async units(): Promise<Map<number, { target: string; lun: number }>> {
    if (this.driveUnits) return this.driveUnits;
    const map = new Map<number, { target: string; lun: number }>();
    for (const [element, ref] of Object.entries(this.options.drives ?? {})) {
      const url = ref.url ? parseIscsiUrl(ref.url) : undefined;
      const target = url ? `iscsi://${url.host}:${url.port}/${url.targetName}` : this.target;
      map.set(Number(element), { target, lun: ref.lun });
    }
    const elements = await this.changer.elements(4);
    const unmapped = elements.filter((e) => !map.has(e.address) && e.deviceId);
    if (unmapped.length > 0) {
      const units = await listUnits(await this.transport(this.target));
      for (const e of unmapped) {
        const serial = deviceIdSerial(e.deviceId!);
        const unit = units.find((u) => u.deviceType === DeviceType.TAPE && u.serial !== '' && u.serial === serial);
        if (unit) map.set(e.address, { target: this.target, lun: unit.lun });
      }
    }
    if (map.size === 0)
      throw new TapirError(
        'TAPIR_E_NOT_FOUND',
        `${this.name}: no drive element could be matched to a tape drive; configure changer.drives (element → { lun })`,
        { device: this.name },
      );
    this.driveUnits = map;
    return map;
  }
}

async function listUnits(
  transport: IscsiTransport,
): Promise<Array<{ lun: number; deviceType: number; qualifier: number; serial: string }>> {
  const r = await transport.execute(0, reportLuns());
  const luns = r.status === ScsiStatus.GOOD ? parseReportLuns(r.data) : [0];
  const out = [];
  for (const lun of luns) {
    const inq = await transport.execute(lun, inquiry());
    if (inq.status !== ScsiStatus.GOOD) continue;
    const data = parseInquiry(inq.data);
    const vpd = await transport.execute(lun, inquiry(0x80));
    let serial = '';
    try {
      if (vpd.status === ScsiStatus.GOOD) serial = parseUnitSerialNumber(vpd.data);
    } catch {
      serial = '';
    }
    out.push({ lun, deviceType: data.deviceType, qualifier: data.qualifier, serial });
  }
  return out;
}

async function onlyUnit(transport: IscsiTransport, target: string, type: number): Promise<number> {
  const units = (await listUnits(transport)).filter((u) => u.deviceType === type && u.qualifier === 0);
  if (units.length === 1) return units[0]!.lun;
  throw new TapirError(
    'TAPIR_E_NOT_FOUND',
    units.length === 0
      ? `${target} has no medium changer`
      : `${target} has several medium changers (LUNs ${units.map((u) => u.lun).join(', ')}); set changer.lun`,
    { device: target },
  );
}

/** `10–13` for a run of element addresses. */
export function describeRange(elements: readonly ElementStatus[]): string {
  if (elements.length === 0) return 'none';
  const first = elements[0]!.address;
  const last = elements[elements.length - 1]!.address;
  return first === last ? String(first) : `${first}–${last}`;
}
