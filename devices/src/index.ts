/**
 * `@tapir/devices`: tapir's device layer — SCSI command sets, sense decoding, transports (a userspace iSCSI initiator
 * first), tape drives and media changers.
 *
 * @packageDocumentation
 */

// SCSI command sets and sense (pure functions)
export * from './scsi/request.js';
export * from './scsi/sense.js';
export { describeAsc } from './scsi/asc-text.js';
export * from './scsi/spc.js';
export * from './scsi/ssc.js';
export * from './scsi/smc.js';
export { ScsiDevice, type DeviceIdentity, type DeviceOptions, type ProbedDevice } from './scsi/scsi-device.js';

// Quirks
export * from './quirks/device-quirks.js';

// Transports
export type * from './transport/transport.js';
export { IscsiTransport, type IscsiTransportOptions } from './iscsi/iscsi-transport.js';
export { IscsiSession, type SessionOptions } from './iscsi/iscsi-session.js';
export { discoverTargets, type DiscoveredTarget } from './iscsi/discovery.js';
export { parseIscsiUrl, type IscsiAddress } from './iscsi/iscsi-url.js';
export type { SessionParameters, OperationalOffer } from './iscsi/negotiation.js';

// Devices
export {
  TapeDrive,
  type CleaningRequest,
  type TapeDriveOptions,
  type TapeDriveEvents,
  type TapeReadiness,
} from './tape/tape-drive.js';
export type { TapePosition } from './tape/tape-position.js';
export type { TapeRead, EarlyWarning } from './tape/tape-read.js';
export {
  TapeReadStream,
  TapeWriteStream,
  type TapeReadStreamOptions,
  type TapeWriteStreamOptions,
} from './tape/tape-streams.js';
export { MediaChanger, deviceIdSerial, type MediaChangerOptions } from './changer/media-changer.js';
export { isCleaningCartridge, CLEANING_PREFIX, type ChangerInventory } from './changer/changer-inventory.js';
