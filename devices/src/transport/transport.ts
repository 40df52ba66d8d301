import type { ScsiRequest, ScsiResponse } from '../scsi/request.js';

/**
 * A path to SCSI logical units: iSCSI over TCP today; Linux SG_IO, USB Bulk-Only Transport and serial later.
 *
 * @remarks
 * A transport executes one {@link ScsiRequest} at a time per call and resolves with whatever status the device
 * returned, CHECK CONDITION included: sense is data for the caller to interpret, not a failure of the transport.
 * It rejects with a `TapirError` only when the command could not be delivered or answered
 * (`TAPIR_E_DEVICE_TIMEOUT`, `TAPIR_E_DEVICE`, `TAPIR_E_ISCSI_PROTOCOL`, `TAPIR_E_ISCSI_LOGIN`).
 * Implementations may run several calls concurrently when the path allows it (iSCSI pipelines them).
 */
export interface Transport {
  /** A human-readable name for messages and error context, e.g. `iscsi://127.0.0.1:3261/iqn…`. */
  readonly name: string;
  /**
   * Counts how many times the path to the device has been (re-)established, when the transport can reconnect.
   * Device objects compare it across commands: a change means device state tied to the old path (tape position,
   * reservations) may be gone.
   */
  readonly nexus?: number;
  /** Executes `request` on logical unit `lun` (transports bound to one unit ignore `lun` other than 0). */
  execute(lun: number, request: ScsiRequest): Promise<ScsiResponse>;
  /** Releases the path (logs out, closes the device). Further calls reject. */
  close(): Promise<void>;
}

/**
 * Linux SG_IO on `/dev/sgN` or the `st` driver's SCSI pass-through, for locally attached drives and changers.
 * Not implemented yet: this fixes the shape a native binding will fill in.
 */
export interface SgIoTransportOptions {
  /** The generic SCSI device node, e.g. `/dev/sg3`. */
  readonly device: string;
  /** Default per-command timeout in milliseconds. */
  readonly timeoutMs?: number;
  /** Reserve the device with `O_EXCL`. */
  readonly exclusive?: boolean;
}

/**
 * USB Mass Storage Bulk-Only Transport (CBW/CSW over bulk endpoints) through the `usb` package, for USB tape drives
 * and autoloaders. Not implemented yet.
 */
export interface UsbBotTransportOptions {
  readonly vendorId: number;
  readonly productId: number;
  /** The interface number of the mass-storage interface (class 08h, protocol 50h). */
  readonly interfaceNumber?: number;
  /** Serial number, to pick one of several identical devices. */
  readonly serialNumber?: string;
  readonly timeoutMs?: number;
}

/**
 * Control lines of autoloaders driven over RS-232 through `serialport` (vendor command sets, not SCSI).
 * Not implemented yet; such a changer implements {@link SerialChangerLink} rather than {@link Transport}.
 */
export interface SerialTransportOptions {
  /** e.g. `/dev/ttyS0`. */
  readonly path: string;
  readonly baudRate: number;
  readonly timeoutMs?: number;
}

/** A serial autoloader link: one request line, one response line, framing by the vendor's protocol. */
export interface SerialChangerLink {
  readonly name: string;
  /** Sends one command and resolves with the device's reply. */
  command(text: string, timeoutMs?: number): Promise<string>;
  close(): Promise<void>;
}
