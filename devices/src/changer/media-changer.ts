import { TapirError } from '@tapir/sdk';
import { ScsiDevice, type DeviceOptions } from '../scsi/scsi-device.js';
import { ScsiStatus } from '../scsi/request.js';
import {
  ELEMENT_ADDRESS_ASSIGNMENT_PAGE,
  ElementType,
  initializeElementStatus,
  moveMedium,
  parseElementAddressAssignment,
  parseElementStatus,
  readElementStatus,
  type ElementAddressAssignment,
  type ElementStatus,
  type ElementTypeValue,
} from '../scsi/smc.js';
import { DeviceType, modeSense6, parseModeSense6 } from '../scsi/spc.js';
import type { Transport } from '../transport/transport.js';
import type { ChangerInventory } from './changer-inventory.js';

/** Options for {@link MediaChanger.open}. */
export interface MediaChangerOptions extends DeviceOptions {
  /**
   * Which drive sits in which drive element, as configured by the operator: element address → drive serial number
   * (VPD 80h). Takes precedence over device identifiers, which some changers report wrongly (tgt truncates them).
   */
  readonly drives?: Readonly<Record<number, string>>;
  /** Timeout for MOVE MEDIUM. Default 10 minutes. */
  readonly moveTimeoutMs?: number;
}

const TYPE_NAMES: Record<number, string> = {
  [ElementType.MEDIUM_TRANSPORT]: 'picker',
  [ElementType.STORAGE]: 'slot',
  [ElementType.IMPORT_EXPORT]: 'import/export slot',
  [ElementType.DATA_TRANSFER]: 'drive',
};

/**
 * A SCSI medium changer (SMC): inventory with barcodes, moves between slots, drives and mail slots, and the mapping
 * from its drive elements to tape drives.
 *
 * @example
 * ```ts
 * const changer = await MediaChanger.open(transport, 3, { drives: { 1: 'beaf11', 2: 'beaf12' } });
 * const { slots } = await changer.inventory();
 * const tape = slots.find((s) => s.barcode === 'TAPE0001L6')!;
 * await changer.move(tape.address, changer.driveElementFor('beaf11'));
 * ```
 */
export class MediaChanger extends ScsiDevice {
  private assignment: ElementAddressAssignment | undefined;
  private readonly configuredDrives: Readonly<Record<number, string>>;
  private readonly moveTimeoutMs: number;
  private lastInventory: ChangerInventory | undefined;

  /** Probes `lun` and reads the element address assignment. Throws `TAPIR_E_DEVICE` when it is not a changer. */
  static async open(transport: Transport, lun: number, options: MediaChangerOptions = {}): Promise<MediaChanger> {
    const probed = await ScsiDevice.probe(transport, lun, options);
    if (probed.identity.deviceType !== DeviceType.MEDIUM_CHANGER)
      throw new TapirError(
        'TAPIR_E_DEVICE',
        `${options.name ?? `${transport.name}/${lun}`} is not a medium changer (device type ${probed.identity.deviceType})`,
        {
          device: options.name ?? transport.name,
          lun,
        },
      );
    const changer = new MediaChanger(transport, lun, probed.identity, probed.quirks, probed.capabilities, options);
    await changer.elementAddresses();
    return changer;
  }

  private constructor(
    ...args: [
      Transport,
      number,
      ScsiDevice['identity'],
      ScsiDevice['quirks'],
      ScsiDevice['capabilities'],
      MediaChangerOptions,
    ]
  ) {
    super(...args);
    this.configuredDrives = args[5].drives ?? {};
    this.moveTimeoutMs = args[5].moveTimeoutMs ?? 10 * 60_000;
  }

  /** First address and count of each element type (mode page 1Dh), cached after the first call. */
  async elementAddresses(): Promise<ElementAddressAssignment> {
    if (this.assignment) return this.assignment;
    const request = modeSense6({ page: ELEMENT_ADDRESS_ASSIGNMENT_PAGE, dbd: true });
    const r = await this.run(request);
    const page = parseModeSense6(r.data).pages.find((p) => p.code === ELEMENT_ADDRESS_ASSIGNMENT_PAGE);
    if (!page)
      throw this.error('TAPIR_E_DEVICE', request, undefined, {
        reason: 'no element address assignment page in the answer',
      });
    this.assignment = parseElementAddressAssignment(page.bytes);
    return this.assignment;
  }

  /**
   * Reads the status of every element, one READ ELEMENT STATUS per element type (type 0, "all", is broken on tgt and
   * is never sent), with barcodes and, for drives, device identifiers.
   */
  async inventory(): Promise<ChangerInventory> {
    const a = await this.elementAddresses();
    const read = async (type: ElementTypeValue, count: number): Promise<ElementStatus[]> =>
      count ? this.elements(type) : [];
    const inventory: ChangerInventory = {
      transports: await read(ElementType.MEDIUM_TRANSPORT, a.transport.count),
      slots: await read(ElementType.STORAGE, a.storage.count),
      importExport: await read(ElementType.IMPORT_EXPORT, a.importExport.count),
      drives: await read(ElementType.DATA_TRANSFER, a.dataTransfer.count),
    };
    this.lastInventory = inventory;
    return inventory;
  }

  /** The status of every element of one type, with barcodes (and device identifiers for drives), in address order. */
  async elements(type: ElementTypeValue): Promise<ElementStatus[]> {
    if (type === ElementType.ALL) throw new RangeError('read element types one at a time');
    const request = readElementStatus({ type, volumeTags: true, deviceIds: type === ElementType.DATA_TRANSFER });
    const r = await this.run(request);
    // tgt reports 8 bytes more than it sends and a wrong first address: the parser zero-fills and addresses come from
    // each descriptor (quirks elementStatusShortTransfer / elementStatusFirstAddressWrong).
    const report = parseElementStatus(r.data);
    return report.elements.filter((e) => e.type === type).sort((x, y) => x.address - y.address);
  }

  /** Where a barcode is, from a fresh inventory; undefined when the changer does not hold it. */
  async find(barcode: string): Promise<ElementStatus | undefined> {
    const inv = await this.inventory();
    return [...inv.slots, ...inv.drives, ...inv.importExport, ...inv.transports].find((e) => e.barcode === barcode);
  }

  /**
   * Moves a medium from one element to another (slot → drive loads, drive → slot unloads on changers that eject
   * for themselves, as tgt does).
   *
   * @throws `TAPIR_E_ELEMENT_EMPTY` (the source holds nothing), `TAPIR_E_ELEMENT_FULL` (the destination is occupied),
   * `TAPIR_E_DEVICE` for anything else; each names the element and carries the sense.
   */
  async move(from: number, to: number): Promise<void> {
    const request = { ...moveMedium(from, to), timeoutMs: this.moveTimeoutMs };
    const r = await this.exec(request);
    if (r.status === ScsiStatus.GOOD) return;
    const sense = r.sense;
    if (sense?.conditions.has('source-empty')) {
      const e = this.error('TAPIR_E_ELEMENT_EMPTY', request, sense, {
        element: from,
        elementName: this.describe(from),
        destination: to,
      });
      throw new TapirError(
        e.code,
        `${this.name}: cannot move from ${this.describe(from)} to ${this.describe(to)}: ${this.describe(from)} is empty`,
        e.context,
      );
    }
    if (sense?.conditions.has('destination-full')) {
      const e = this.error('TAPIR_E_ELEMENT_FULL', request, sense, {
        element: to,
        elementName: this.describe(to),
        source: from,
      });
      throw new TapirError(
        e.code,
        `${this.name}: cannot move from ${this.describe(from)} to ${this.describe(to)}: ${this.describe(to)} is full`,
        e.context,
      );
    }
    throw this.error('TAPIR_E_DEVICE', request, sense, { source: from, destination: to, element: from }, r.status);
  }

  /** Asks the changer to rescan its elements (INITIALIZE ELEMENT STATUS). A no-op on tgt. */
  async initialize(): Promise<void> {
    await this.run({ ...initializeElementStatus(), timeoutMs: this.moveTimeoutMs });
  }

  /**
   * The drive element holding the drive with this serial number: from the configuration first, else from the
   * device identifiers the changer reports (exact serial match only; tgt truncates them, see quirks).
   * Throws `TAPIR_E_NOT_FOUND` when neither knows.
   */
  async driveElementFor(serial: string): Promise<number> {
    for (const [address, configured] of Object.entries(this.configuredDrives))
      if (configured === serial) return Number(address);
    const drives = this.lastInventory?.drives ?? (await this.elements(ElementType.DATA_TRANSFER));
    for (const d of drives) if (d.deviceId !== undefined && deviceIdSerial(d.deviceId) === serial) return d.address;
    throw new TapirError(
      'TAPIR_E_NOT_FOUND',
      `${this.name}: no drive element is known to hold the drive with serial ${serial}; configure the drive mapping`,
      {
        device: this.name,
        serial,
      },
    );
  }

  /** A human name for an element address, e.g. `slot 10`, `drive 1`. */
  describe(address: number): string {
    const a = this.assignment;
    if (a) {
      const ranges: Array<[string, { first: number; count: number }]> = [
        [TYPE_NAMES[ElementType.MEDIUM_TRANSPORT]!, a.transport],
        [TYPE_NAMES[ElementType.STORAGE]!, a.storage],
        [TYPE_NAMES[ElementType.IMPORT_EXPORT]!, a.importExport],
        [TYPE_NAMES[ElementType.DATA_TRANSFER]!, a.dataTransfer],
      ];
      for (const [name, range] of ranges)
        if (address >= range.first && address < range.first + range.count) return `${name} ${address}`;
    }
    return `element ${address}`;
  }
}

/**
 * The serial part of a drive element's device identifier when it is a T10 vendor identification
 * (8 vendor + 16 product + serial, SPC-4 7.8.6.4); the whole identifier otherwise.
 */
export function deviceIdSerial(deviceId: string): string {
  return deviceId.length > 24
    ? deviceId
        .slice(24)
        .replace(/[\s\0]+$/g, '')
        .trim()
    : deviceId.trim();
}
