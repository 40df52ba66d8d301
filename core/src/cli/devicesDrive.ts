/**
 * What `tapir device status` and `tapir tape …` report about a drive: readiness with the device's own sense, block
 * size and limits, write protection, position, and the loaded tape's barcode when a changer knows it.
 */
import { Args } from '@oclif/core';
import { TapirError } from '@tapir/sdk';
import {
  ReadPositionForm,
  ScsiStatus,
  describeSense,
  modeSense6,
  parseBlockLimits,
  parseModeSense6,
  parseReadPosition,
  readBlockLimits,
  readPosition,
  testUnitReady,
  type TapeReadiness,
} from '@tapir/devices';
import type { DeviceSessions, OpenedDrive } from './devices.js';

/** A drive's state as status reports it. */
export interface DriveStatus {
  drive: string;
  url: string;
  lun: number;
  vendor: string;
  product: string;
  revision: string;
  serial: string;
  state: TapeReadiness;
  loaded: boolean;
  /** TEST UNIT READY's sense when the drive is not ready. */
  sense?: string;
  barcode?: string;
  changer?: { name: string; element: number };
  /** 0 = variable-length blocks. */
  blockSize?: number;
  blockLimits?: { minimum: number; maximum: number; granularity: number };
  writeProtected?: boolean;
  density?: number;
  /** What the drive reports (READ POSITION), or why it is not known. */
  position?:
    | { block?: number; partition?: number; beginningOfPartition?: boolean; endOfPartition?: boolean }
    | { unknown: string };
}

/** Reads everything status shows; commands the drive lacks leave their fields out. */
export async function driveStatus(sessions: DeviceSessions, opened: OpenedDrive): Promise<DriveStatus> {
  const { drive } = opened;
  const lun = drive.lun;
  const tur = await drive.transport.execute(lun, testUnitReady());
  const state = await drive.ready();
  const status: DriveStatus = {
    drive: opened.name,
    url: opened.address.target,
    lun,
    vendor: drive.identity.vendor,
    product: drive.identity.product,
    revision: drive.identity.revision,
    serial: drive.identity.serial,
    state,
    loaded: state === 'ready',
  };
  if (tur.status !== ScsiStatus.GOOD && tur.sense) status.sense = describeSense(tur.sense);
  const holder = await sessions.changerOf(opened).catch(() => undefined);
  if (holder) {
    status.changer = { name: holder.opened.name, element: holder.element };
    const element = (await holder.opened.changer.elements(4).catch(() => [])).find((e) => e.address === holder.element);
    if (element?.full && element.barcode) status.barcode = element.barcode;
  }
  const limits = await drive.transport.execute(lun, readBlockLimits());
  if (limits.status === ScsiStatus.GOOD) status.blockLimits = parseBlockLimits(limits.data);
  const mode = await drive.transport.execute(lun, modeSense6({ page: 0x00, allocationLength: 12 }));
  if (mode.status === ScsiStatus.GOOD) {
    const p = parseModeSense6(mode.data);
    status.writeProtected = p.writeProtected;
    status.blockSize = p.blockDescriptors[0]?.blockLength ?? 0;
    if (p.blockDescriptors[0]) status.density = p.blockDescriptors[0].density;
  }
  if (state === 'ready') {
    if (drive.capabilities.readPosition) {
      const r = await drive.transport.execute(lun, readPosition(ReadPositionForm.SHORT));
      if (r.status === ScsiStatus.GOOD) {
        const p = parseReadPosition(r.data);
        status.position = {
          ...(p.block !== undefined ? { block: p.block } : {}),
          ...(p.partition !== undefined ? { partition: p.partition } : {}),
          beginningOfPartition: p.beginningOfPartition,
          endOfPartition: p.endOfPartition,
        };
      } else status.position = { unknown: r.sense ? describeSense(r.sense) : `READ POSITION status ${r.status}` };
    } else status.position = { unknown: `the drive does not report its position (${drive.quirks.name})` };
  }
  return status;
}

/**
 * Waits briefly for a loaded tape; `TAPIR_E_NO_MEDIUM` naming the drive when there is none.
 */
export async function requireMedium(opened: OpenedDrive, timeoutMs = 30_000): Promise<void> {
  const state = await opened.drive.ready();
  if (state === 'ready') return;
  if (state === 'no-medium')
    throw new TapirError(
      'TAPIR_E_NO_MEDIUM',
      `${opened.name}: no tape in the drive; load one with \`tapir device load\``,
      { device: opened.name, lun: opened.drive.lun },
    );
  await opened.drive.waitReady(timeoutMs);
}

/** The `<drive>` argument of the drive commands: one definition, one help text. */
export const driveArg = Args.string({
  description: 'a configured drive, iscsi://host[:port]/target/lun, or <changer>/drive:N',
  required: true,
});
