/**
 * Device references for `tapir device …` and `tapir tape …`: a name from the configuration's `devices:` section, an
 * `iscsi://` URL, or `<changer>/<element>` for a changer's drive, resolved to opened {@link MediaChanger} and
 * {@link TapeDrive} objects over shared iSCSI sessions that {@link DeviceSessions.close} releases.
 */
import { TapirError, isTapirError } from '@tapir/sdk';
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
  type ElementStatus,
} from '@tapir/devices';
import type { DeviceConfig, IscsiChangerConfig, TapirConfig } from '../config/types.js';
import { parseElementRef } from './devicesElements.js';

/** Where one logical unit is: an iSCSI target and a LUN (undefined: pick the target's only unit of the kind). */
export interface UnitAddress {
  /** `iscsi://host:port/target`, without a LUN. */
  readonly target: string;
  readonly lun: number | undefined;
  /** The name used in messages and output: the configured name, or the URL with its LUN. */
  readonly name: string;
  readonly timeoutMs: number | undefined;
}

/** How a changer's drive element was matched to a drive. */
export type DriveMapping = 'configuration' | 'serial';

/** A drive element of a changer with the drive found in it. */
export interface MappedDrive {
  readonly element: number;
  readonly address: UnitAddress;
  readonly serial: string | undefined;
  readonly mappedBy: DriveMapping;
}

/** An opened changer with what the configuration says about its drives. */
export interface OpenedChanger {
  readonly name: string;
  readonly changer: MediaChanger;
  readonly address: UnitAddress;
  readonly config: IscsiChangerConfig | undefined;
}

/** An opened drive, with the changer element it sits in when known. */
export interface OpenedDrive {
  readonly name: string;
  readonly drive: TapeDrive;
  readonly address: UnitAddress;
  /** The changer and element holding this drive, when a configuration or a device identifier says so. */
  readonly changer?: { readonly opened: OpenedChanger; readonly element: number } | undefined;
}

const DEFAULT_TIMEOUT_MS = 60_000;
const LOGIN_TIMEOUT_MS = 10_000;

/** Text for a peripheral device type. */
export function deviceTypeName(type: number): string {
  switch (type) {
    case DeviceType.DISK:
      return 'disk';
    case DeviceType.TAPE:
      return 'tape';
    case DeviceType.MEDIUM_CHANGER:
      return 'changer';
    case DeviceType.CONTROLLER:
      return 'controller';
    case DeviceType.ENCLOSURE:
      return 'enclosure';
    default:
      return `type ${type.toString(16).padStart(2, '0')}h`;
  }
}

/** `iscsi://host:port/target` for an address, without a LUN. */
export function targetUrl(url: string): string {
  const a = parseIscsiUrl(url);
  const host = a.host.includes(':') ? `[${a.host}]` : a.host;
  return `iscsi://${host}:${a.port}${a.targetName ? `/${a.targetName}` : ''}`;
}

/**
 * Turns a connection failure into `TAPIR_E_DEVICE_CONNECTION` naming the URL, and puts the URL into any other error
 * raised while logging in.
 */
export function connectionError(url: string, err: unknown): unknown {
  if (!isTapirError(err)) return err;
  if (err.code === 'TAPIR_E_DEVICE' || err.code === 'TAPIR_E_DEVICE_TIMEOUT')
    return new TapirError(
      'TAPIR_E_DEVICE_CONNECTION',
      `cannot reach ${url}: ${err.message}`,
      { ...err.context, device: url },
      { cause: err },
    );
  if (err.message.includes(url)) return err;
  return new TapirError(err.code, `${url}: ${err.message}`, { ...err.context, device: url }, { cause: err });
}

/**
 * The iSCSI sessions a command opened, one per target, shared by the changer and drives on it. Close in `finally`.
 */
export class DeviceSessions {
  private readonly transports = new Map<string, Promise<IscsiTransport>>();

  constructor(private readonly config: TapirConfig) {}

  /** The session to a target (`iscsi://host:port/target`), logged in on first use. */
  async transport(target: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<IscsiTransport> {
    const key = targetUrl(target);
    let t = this.transports.get(key);
    if (!t) {
      const a = parseIscsiUrl(key);
      if (!a.targetName)
        throw new TapirError('TAPIR_E_CONFIG_INVALID', `${target} names no target (iscsi://host:port/iqn…)`, {
          device: target,
        });
      t = IscsiTransport.connect({
        host: a.host,
        port: a.port,
        targetName: a.targetName,
        timeoutMs,
        loginTimeoutMs: Math.min(timeoutMs, LOGIN_TIMEOUT_MS),
      }).catch((err: unknown) => {
        throw connectionError(key, err);
      });
      this.transports.set(key, t);
    }
    return t;
  }

  /** Logs out of every session. */
  async close(): Promise<void> {
    const all = [...this.transports.values()];
    this.transports.clear();
    await Promise.all(all.map((t) => t.then((x) => x.close()).catch(() => {})));
  }

  /** The configured device of this name, or undefined. */
  configured(name: string): DeviceConfig | undefined {
    return Object.hasOwn(this.config.devices ?? {}, name) ? this.config.devices[name] : undefined;
  }

  /** Every configured changer, by name. */
  changers(): Array<[string, IscsiChangerConfig]> {
    return Object.entries(this.config.devices ?? {}).filter(
      (e): e is [string, IscsiChangerConfig] => e[1].kind === 'iscsi-changer',
    );
  }

  /** A configured name or an `iscsi://` URL as a unit address; `kind` checks a configured entry's kind. */
  address(ref: string, kind: DeviceConfig['kind']): UnitAddress {
    const configured = this.configured(ref);
    if (configured) {
      if (configured.kind !== kind)
        throw new TapirError('TAPIR_E_CONFIG_INVALID', `device ${ref} is an ${configured.kind}, not an ${kind}`, {
          device: ref,
        });
      const a = parseIscsiUrl(configured.url);
      return {
        target: targetUrl(configured.url),
        lun: configured.lun ?? a.lun,
        name: ref,
        timeoutMs: seconds(configured.timeoutSeconds),
      };
    }
    if (!ref.startsWith('iscsi://')) {
      const names = Object.entries(this.config.devices ?? {})
        .filter(([, d]) => d.kind === kind)
        .map(([n]) => n);
      throw new TapirError(
        'TAPIR_E_NOT_FOUND',
        `no device named ${ref} in the configuration${names.length ? ` (configured: ${names.join(', ')})` : ''}; give a configured name or an iscsi:// URL`,
        { device: ref },
      );
    }
    const a = parseIscsiUrl(ref);
    if (!a.targetName)
      throw new TapirError('TAPIR_E_CONFIG_INVALID', `${ref} names no target (iscsi://host:port/iqn…[/lun])`, {
        device: ref,
      });
    return {
      target: targetUrl(ref),
      lun: a.lun,
      name: a.lun === undefined ? targetUrl(ref) : `${targetUrl(ref)}/${a.lun}`,
      timeoutMs: undefined,
    };
  }

  /**
   * Opens a changer: a configured name, an `iscsi://` URL, or nothing for the only configured changer.
   */
  async openChanger(ref: string | undefined): Promise<OpenedChanger> {
    if (ref === undefined) {
      const all = this.changers();
      if (all.length !== 1)
        throw new TapirError(
          'TAPIR_E_NOT_FOUND',
          all.length === 0
            ? 'no changer is configured: name one (iscsi://host:port/iqn…/lun) or add it to devices: in the configuration'
            : `several changers are configured (${all.map(([n]) => n).join(', ')}): name one`,
          {},
        );
      ref = all[0]![0];
    }
    const address = this.address(ref, 'iscsi-changer');
    const config = this.configured(ref) as IscsiChangerConfig | undefined;
    const transport = await this.transport(address.target, address.timeoutMs);
    const lun = address.lun ?? (await this.onlyUnit(address, DeviceType.MEDIUM_CHANGER));
    const name = address.lun === undefined && !config ? `${address.target}/${lun}` : address.name;
    const changer = await MediaChanger.open(transport, lun, { name });
    return { name, changer, address: { ...address, lun, name }, config };
  }

  /**
   * Opens a drive: a configured name, an `iscsi://` URL, or `<changer>/<element>` (e.g. `lib1/drive:1`) for the drive in
   * a changer's drive element.
   */
  async openDrive(ref: string): Promise<OpenedDrive> {
    const slash = ref.startsWith('iscsi://') ? -1 : ref.indexOf('/');
    if (slash > 0) {
      const opened = await this.openChanger(ref.slice(0, slash));
      const element = await parseElementRef(opened.changer, ref.slice(slash + 1));
      const mapped = await this.driveIn(opened, element);
      const name = `${opened.name}/drive ${element}`;
      return { ...(await this.openDriveAt(mapped.address, name)), changer: { opened, element } };
    }
    const address = this.address(ref, 'iscsi-tape');
    return this.openDriveAt(address, address.name);
  }

  private async openDriveAt(address: UnitAddress, name: string): Promise<OpenedDrive> {
    const transport = await this.transport(address.target, address.timeoutMs);
    const lun = address.lun ?? (await this.onlyUnit(address, DeviceType.TAPE));
    const finalName = address.lun === undefined && name === address.target ? `${address.target}/${lun}` : name;
    const drive = await TapeDrive.open(transport, lun, { name: finalName });
    return { name: finalName, drive, address: { ...address, lun, name: finalName } };
  }

  /**
   * Every drive element of a changer mapped to a drive: from the configuration first, then by matching the serial
   * numbers of the tape LUNs on the changer's target against the elements' device identifiers.
   */
  async driveMap(opened: OpenedChanger, drives?: readonly ElementStatus[]): Promise<Map<number, MappedDrive>> {
    const map = new Map<number, MappedDrive>();
    for (const [element, entry] of Object.entries(opened.config?.drives ?? {})) {
      const address =
        typeof entry === 'string'
          ? this.address(entry, 'iscsi-tape')
          : {
              target: targetUrl(entry.url ?? opened.address.target),
              lun: entry.lun,
              name: `${targetUrl(entry.url ?? opened.address.target)}/${entry.lun}`,
              timeoutMs: opened.address.timeoutMs,
            };
      map.set(Number(element), { element: Number(element), address, serial: undefined, mappedBy: 'configuration' });
    }
    const elements = drives ?? (await opened.changer.inventory()).drives;
    const unmapped = elements.filter((e) => !map.has(e.address) && e.deviceId);
    if (unmapped.length === 0) return map;
    const units = await this.units(opened.address.target, opened.address.timeoutMs).catch(() => []);
    for (const e of unmapped) {
      const serial = deviceIdSerial(e.deviceId!);
      const unit = units.find((u) => u.deviceType === DeviceType.TAPE && u.serial !== '' && u.serial === serial);
      if (unit)
        map.set(e.address, {
          element: e.address,
          address: {
            target: opened.address.target,
            lun: unit.lun,
            name: `${opened.address.target}/${unit.lun}`,
            timeoutMs: opened.address.timeoutMs,
          },
          serial,
          mappedBy: 'serial',
        });
    }
    return map;
  }

  /** The drive in one drive element; `TAPIR_E_NOT_FOUND` when neither configuration nor identifiers say. */
  async driveIn(opened: OpenedChanger, element: number): Promise<MappedDrive> {
    const a = await opened.changer.elementAddresses();
    if (element < a.dataTransfer.first || element >= a.dataTransfer.first + a.dataTransfer.count)
      throw new TapirError(
        'TAPIR_E_ELEMENT_INVALID',
        `${opened.name}: ${opened.changer.describe(element)} is not a drive element`,
        {
          device: opened.name,
          element,
        },
      );
    const mapped = (await this.driveMap(opened)).get(element);
    if (!mapped)
      throw new TapirError(
        'TAPIR_E_NOT_FOUND',
        `${opened.name}: which drive sits in drive element ${element} is not known; map it under devices.${opened.name}.drives in the configuration`,
        { device: opened.name, element },
      );
    return mapped;
  }

  /**
   * The changer and drive element holding a drive, found through the configuration or by serial number on the
   * drive's own target; undefined when nothing says.
   */
  async changerOf(opened: OpenedDrive): Promise<{ opened: OpenedChanger; element: number } | undefined> {
    if (opened.changer) return opened.changer;
    const same = (a: UnitAddress): boolean => a.target === opened.address.target && a.lun === opened.address.lun;
    for (const [name, config] of this.changers()) {
      for (const [element, entry] of Object.entries(config.drives ?? {})) {
        const match =
          typeof entry === 'string'
            ? entry === opened.address.name || same(this.address(entry, 'iscsi-tape'))
            : same({ ...opened.address, target: targetUrl(entry.url ?? config.url), lun: entry.lun });
        if (match) return { opened: await this.openChanger(name), element: Number(element) };
      }
    }
    const units = await this.units(opened.address.target, opened.address.timeoutMs);
    const changerUnit = units.find((u) => u.deviceType === DeviceType.MEDIUM_CHANGER);
    if (!changerUnit) return undefined;
    const changer = await this.openChanger(`${opened.address.target}/${changerUnit.lun}`);
    for (const e of await changer.changer.elements(4))
      if (e.deviceId && deviceIdSerial(e.deviceId) === opened.drive.identity.serial)
        return { opened: changer, element: e.address };
    return undefined;
  }

  /** The logical units of a target with their types and serial numbers (REPORT LUNS on LUN 0, then INQUIRY each). */
  async units(
    target: string,
    timeoutMs?: number,
  ): Promise<Array<{ lun: number; deviceType: number; qualifier: number; serial: string }>> {
    const transport = await this.transport(target, timeoutMs);
    const r = await transport.execute(0, reportLuns());
    const luns = r.status === ScsiStatus.GOOD ? parseReportLuns(r.data) : [0];
    const out = [];
    for (const lun of luns) {
      const inq = await transport.execute(lun, inquiry());
      if (inq.status !== ScsiStatus.GOOD) continue;
      const data = parseInquiry(inq.data);
      const vpd = await transport.execute(lun, inquiry(0x80));
      const serial = vpd.status === ScsiStatus.GOOD ? safe(() => parseUnitSerialNumber(vpd.data), '') : '';
      out.push({ lun, deviceType: data.deviceType, qualifier: data.qualifier, serial });
    }
    return out;
  }

  /** The LUN of the target's only unit of a type; `TAPIR_E_NOT_FOUND` when there are none or several. */
  private async onlyUnit(address: UnitAddress, type: number): Promise<number> {
    const units = (await this.units(address.target, address.timeoutMs)).filter(
      (u) => u.deviceType === type && u.qualifier === 0,
    );
    if (units.length === 1) return units[0]!.lun;
    throw new TapirError(
      'TAPIR_E_NOT_FOUND',
      units.length === 0
        ? `${address.target} has no ${deviceTypeName(type)} LUN`
        : `${address.target} has several ${deviceTypeName(type)} LUNs (${units.map((u) => u.lun).join(', ')}): add /<lun> to the URL or lun: to the configuration`,
      { device: address.target },
    );
  }
}

function seconds(s: number | undefined): number | undefined {
  return s === undefined ? undefined : Math.round(s * 1000);
}

function safe<T>(f: () => T, fallback: T): T {
  try {
    return f();
  } catch {
    return fallback;
  }
}

/** Runs `f` with fresh sessions and logs out of all of them afterwards, whatever happens. */
export async function withDeviceSessions<T>(
  config: TapirConfig,
  f: (sessions: DeviceSessions) => Promise<T>,
): Promise<T> {
  const sessions = new DeviceSessions(config);
  try {
    return await f(sessions);
  } finally {
    await sessions.close();
  }
}
