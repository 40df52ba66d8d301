import { TapirError, type ErrorCode } from '@tapir/sdk';
import {
  detectCapabilities,
  detectQuirks,
  type DeviceCapabilities,
  type DeviceQuirks,
} from '../quirks/device-quirks.js';
import type { Transport } from '../transport/transport.js';
import { opcodeName, ScsiStatus, type ScsiRequest, type ScsiResponse } from './request.js';
import { describeSense, type Sense } from './sense.js';
import {
  inquiry,
  parseInquiry,
  parseSupportedOperationCodes,
  parseUnitSerialNumber,
  reportSupportedOperationCodes,
  testUnitReady,
  type InquiryData,
  type SupportedOperation,
} from './spc.js';

/** Who a logical unit says it is. */
export interface DeviceIdentity extends InquiryData {
  /** Unit serial number (VPD 80h), trimmed; empty when the device has none. */
  readonly serial: string;
  /** Commands the device reports it supports; undefined when it does not implement the report. */
  readonly supportedOperations: readonly SupportedOperation[] | undefined;
}

/** What {@link ScsiDevice.probe} learns about a logical unit. */
export interface ProbedDevice {
  readonly identity: DeviceIdentity;
  readonly quirks: DeviceQuirks;
  readonly capabilities: DeviceCapabilities;
}

/** Options shared by device objects. */
export interface DeviceOptions {
  /** A name for messages (`changer0`, `drive1`); defaults to the transport name and LUN. */
  readonly name?: string;
  /** Override the quirk profile chosen from the device's identity. */
  readonly quirks?: DeviceQuirks;
}

/**
 * A SCSI logical unit reached through a {@link Transport}: identity, quirks, and command execution with
 * errors that name the device, the command and the sense.
 * {@link TapeDrive} and {@link MediaChanger} build on it.
 */
export class ScsiDevice {
  /** The device name used in messages and error context. */
  readonly name: string;

  protected constructor(
    readonly transport: Transport,
    readonly lun: number,
    readonly identity: DeviceIdentity,
    readonly quirks: DeviceQuirks,
    readonly capabilities: DeviceCapabilities,
    options: DeviceOptions,
  ) {
    this.name = options.name ?? `${transport.name}/${lun}`;
  }

  /**
   * Reads a logical unit's INQUIRY, serial number and supported commands, clearing the power-on UNIT ATTENTION
   * first, and picks its quirk profile.
   */
  static async probe(transport: Transport, lun: number, options: DeviceOptions = {}): Promise<ProbedDevice> {
    const device = options.name ?? `${transport.name}/${lun}`;
    // The first command on each LUN of a new nexus gets UNIT ATTENTION 29/00 (reset); TUR absorbs it.
    for (let i = 0; i < 4; i++) {
      const r = await transport.execute(lun, testUnitReady());
      if (r.status === ScsiStatus.GOOD || !r.sense?.conditions.has('unit-attention')) break;
    }
    const inq = await transport.execute(lun, inquiry());
    if (inq.status !== ScsiStatus.GOOD) throw commandError('TAPIR_E_DEVICE', device, lun, inquiry(), inq.sense);
    const data = parseInquiry(inq.data);
    let serial = '';
    const vpd = await transport.execute(lun, inquiry(0x80));
    if (vpd.status === ScsiStatus.GOOD) serial = parseUnitSerialNumber(vpd.data);
    let supportedOperations: SupportedOperation[] | undefined;
    const rsoc = await transport.execute(lun, reportSupportedOperationCodes());
    if (rsoc.status === ScsiStatus.GOOD) supportedOperations = parseSupportedOperationCodes(rsoc.data);
    const quirks = options.quirks ?? detectQuirks(data, supportedOperations);
    return {
      identity: { ...data, serial, supportedOperations },
      quirks,
      capabilities: detectCapabilities(supportedOperations, quirks),
    };
  }

  /**
   * Executes a request and returns the device's answer whatever its status. A UNIT ATTENTION (the command did not
   * run) is passed to {@link ScsiDevice.unitAttention} and the command repeated when it says so; a new nexus after a
   * reconnect starts with one per LUN (tgt: 29/00).
   */
  protected async exec(request: ScsiRequest): Promise<ScsiResponse> {
    for (let attempt = 0; ; attempt++) {
      const response = await this.transport.execute(this.lun, request);
      const sense = response.sense;
      if (response.status !== ScsiStatus.CHECK_CONDITION || !sense?.conditions.has('unit-attention') || attempt >= 3)
        return response;
      if (!this.unitAttention(sense, request)) return response;
    }
  }

  /**
   * Called for each UNIT ATTENTION; returns whether to repeat the command. Devices whose state it invalidates
   * (a tape's position) override it.
   */
  protected unitAttention(_sense: Sense, _request: ScsiRequest): boolean {
    return true;
  }

  /** Executes a request and throws a `TapirError` naming the device, command and sense unless the status is GOOD. */
  protected async run(request: ScsiRequest, context: Record<string, unknown> = {}): Promise<ScsiResponse> {
    const response = await this.exec(request);
    if (response.status !== ScsiStatus.GOOD)
      throw this.error('TAPIR_E_DEVICE', request, response.sense, context, response.status);
    return response;
  }

  /** Builds an error for a failed command. */
  protected error(
    code: ErrorCode,
    request: ScsiRequest,
    sense: Sense | undefined,
    context: Record<string, unknown> = {},
    status?: number,
  ): TapirError {
    return commandError(code, this.name, this.lun, request, sense, context, status);
  }
}

/** A `TapirError` for a command that ended without GOOD status. */
export function commandError(
  code: ErrorCode,
  device: string,
  lun: number,
  request: ScsiRequest,
  sense: Sense | undefined,
  context: Record<string, unknown> = {},
  status?: number,
): TapirError {
  const command = opcodeName(request.cdb[0] ?? 0);
  const what = sense
    ? describeSense(sense)
    : status !== undefined
      ? `status ${status.toString(16).padStart(2, '0')}h`
      : 'no sense';
  const where = context.element !== undefined ? ` (element ${String(context.element)})` : '';
  return new TapirError(code, `${device}: ${command} failed${where}: ${what}`, {
    device,
    lun,
    command,
    ...(sense ? { sense: describeSense(sense), senseKey: sense.key, asc: sense.asc, ascq: sense.ascq } : {}),
    ...context,
  });
}
