import { TapirError, type JSONSchema } from '@tapir/sdk';

/** A drive element's drive: a LUN on the changer's target, or on another target when `url` is given. */
export interface TapeDriveRef {
  lun: number;
  /** `iscsi://host:port/target` when the drive is not on the changer's target. */
  url?: string;
}

/** The library, in the shape of an `iscsi-changer` entry of `devices:` (docs/cli-devices.md), without `kind`. */
export interface TapeChangerOptions {
  /** `iscsi://host:port/target`, optionally with `/<lun>`. */
  url: string;
  /** The changer's LUN: else the URL's, else the target's only changer. */
  lun?: number;
  /** Per-command timeout. */
  timeoutSeconds?: number;
  /** Drive element address → drive. Unlisted drive elements are matched by serial number. */
  drives?: Record<string, TapeDriveRef>;
}

/** Options of the `tape` destination. */
export interface TapeOptions {
  /**
   * The library. In a configuration file it may also be the name of an `iscsi-changer` in `devices:`; tapir resolves
   * the name (drives named there included) before the destination sees its options.
   */
  changer: TapeChangerOptions;
  /** The pool whose tapes this destination writes; scratch tapes are labelled into it. Default `default`. */
  pool?: string;
  /** Bytes per tape block; the last block of a save set is padded with zeros. Default 262144. */
  blockSize?: number;
  /** How long to wait for a drive (or tape) another job holds before failing. Default 600. */
  reserveTimeoutSeconds?: number;
  /**
   * Days the data written to a tape must be kept: each write moves the tape's `retainUntil` to at least this far
   * ahead, and `tapir media recycle` refuses a tape before then. Default: no retention date.
   */
  retentionDays?: number;
  /**
   * When the pool has no append tape and no scratch tape, recycle its full tapes whose retention date has passed
   * (longest expired first): their save sets are marked expired and the tape is relabelled. Tapes without a
   * retention date are never recycled by themselves. Default true.
   */
  autoRecycle?: boolean;
  /**
   * When a drive asks for cleaning, clean it with a cleaning cartridge (CLN barcode) from the licensed slots once its
   * tape is unloaded. Either way a `cleaning` media event tells the notifiers. Default true.
   */
  autoClean?: boolean;
  /** How long a cleaning cycle may take before the cartridge is put back. Default 300. */
  cleaningTimeoutSeconds?: number;
  /**
   * Restricts the destination's `list()` to these barcodes, whatever their pool (set by `tapir media scan`, not kept
   * in the catalog).
   */
  scanMedia?: string[];
}

/** {@link TapeOptions} with the defaults applied. */
export interface ResolvedTapeOptions {
  changer: TapeChangerOptions;
  pool: string;
  blockSize: number;
  reserveTimeoutSeconds: number;
  retentionDays: number | undefined;
  autoRecycle: boolean;
  autoClean: boolean;
  cleaningTimeoutSeconds: number;
  scanMedia: string[] | undefined;
}

export const DEFAULT_BLOCK_SIZE = 262_144;

export function resolveOptions(options: TapeOptions): ResolvedTapeOptions {
  if (typeof options.changer !== 'object' || options.changer === null)
    throw new TapirError(
      'TAPIR_E_CONFIG_INVALID',
      `the tape destination's changer "${String(options.changer)}" was not resolved from devices:; give its url here`,
      { device: String(options.changer) },
    );
  return {
    changer: options.changer,
    pool: options.pool ?? 'default',
    blockSize: options.blockSize ?? DEFAULT_BLOCK_SIZE,
    reserveTimeoutSeconds: options.reserveTimeoutSeconds ?? 600,
    retentionDays: options.retentionDays,
    autoRecycle: options.autoRecycle ?? true,
    autoClean: options.autoClean ?? true,
    cleaningTimeoutSeconds: options.cleaningTimeoutSeconds ?? 300,
    scanMedia: options.scanMedia,
  };
}

const driveRef: JSONSchema = {
  type: 'object',
  required: ['lun'],
  properties: {
    lun: { type: 'integer', minimum: 0, maximum: 255 },
    url: { type: 'string', pattern: '^iscsi://' },
  },
  additionalProperties: false,
};

const changerSchema: JSONSchema = {
  type: 'object',
  required: ['url'],
  properties: {
    url: { type: 'string', pattern: '^iscsi://' },
    lun: { type: 'integer', minimum: 0, maximum: 255 },
    timeoutSeconds: { type: 'number', exclusiveMinimum: 0 },
    drives: {
      type: 'object',
      propertyNames: { pattern: '^[0-9]+$' },
      additionalProperties: driveRef,
    },
  },
  additionalProperties: false,
};

/** The JSON schema of {@link TapeOptions}. */
export const tapeOptionsSchema: JSONSchema = {
  type: 'object',
  required: ['changer'],
  properties: {
    changer: {
      // A name from the configuration's `devices:` section (tapir resolves it), or the changer's settings.
      oneOf: [{ type: 'string', minLength: 1 }, changerSchema],
    },
    pool: { type: 'string', minLength: 1, pattern: '^[A-Za-z0-9._-]+$', not: { const: 'scratch' } },
    // Multiples of 512 (tar's block) up to 1 MiB, the largest block tgt and many HBAs take.
    blockSize: { type: 'integer', minimum: 512, maximum: 1_048_576, multipleOf: 512 },
    reserveTimeoutSeconds: { type: 'number', minimum: 0 },
    retentionDays: { type: 'number', minimum: 0 },
    autoRecycle: { type: 'boolean' },
    autoClean: { type: 'boolean' },
    cleaningTimeoutSeconds: { type: 'number', minimum: 0 },
    scanMedia: { type: 'array', items: { type: 'string', minLength: 1 } },
  },
  additionalProperties: false,
};
