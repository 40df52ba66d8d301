/**
 * The registry of tapir's stable error codes and the error class that carries them.
 *
 * @remarks
 * Every code is documented with cause and fix in `docs/errors.md`. Codes never change meaning once released;
 * a plugin defines its own codes with its own prefix and passes them as `pluginCode`.
 */

/** Every stable error code tapir raises, with the message template each one uses (sorted alphabetically). */
export const ErrorCodes = {
  TAPIR_E_ABORTED: 'The run was cancelled',
  TAPIR_E_API_MISMATCH: 'Plugin requires an incompatible tapir API',
  TAPIR_E_CATALOG: 'The catalog could not be read or written',
  TAPIR_E_CONFIG_INVALID: 'The configuration is invalid',
  TAPIR_E_CONFIG_NOT_FOUND: 'The configuration file was not found',
  TAPIR_E_DESTINATION_UNAVAILABLE: 'The destination cannot be written',
  TAPIR_E_DEVICE: 'The device reported an error',
  TAPIR_E_DEVICE_CONNECTION: 'The connection to the device was refused or lost',
  TAPIR_E_DEVICE_TIMEOUT: 'The device did not answer in time',
  TAPIR_E_DRIVE_BUSY: 'Every usable drive or tape stayed reserved by other jobs',
  TAPIR_E_ELEMENT_EMPTY: 'The changer element is empty',
  TAPIR_E_ELEMENT_FULL: 'The changer element is full',
  TAPIR_E_ELEMENT_INVALID: 'The changer has no element at that address',
  TAPIR_E_END_OF_MEDIUM: 'The medium is full: the data was not written',
  TAPIR_E_FORMAT: 'The save set is not a valid tapir save set',
  TAPIR_E_ISCSI_LOGIN: 'The iSCSI login was refused',
  TAPIR_E_ISCSI_PROTOCOL: 'The iSCSI target sent a malformed or unexpected PDU',
  TAPIR_E_ITEM_DAMAGED: 'An item in the save set is damaged',
  TAPIR_E_JOB_NOT_FOUND: 'No job of that name is configured',
  TAPIR_E_LICENSE_INVALID: 'The licence is not valid for this distribution',
  TAPIR_E_LICENSE_LIMIT: 'The licence does not cover this use',
  TAPIR_E_NOT_FOUND: 'The requested object does not exist',
  TAPIR_E_NO_MEDIUM: 'The drive holds no medium',
  TAPIR_E_PLUGIN_FAILED: 'A plugin failed',
  TAPIR_E_PLUGIN_INVALID: 'A plugin package is not a valid tapir plugin',
  TAPIR_E_PLUGIN_NOT_FOUND: 'No plugin provides the requested kind',
  TAPIR_E_POOL_EXHAUSTED: 'The media pool has no writable or scratch medium',
  TAPIR_E_RESTORE_TARGET: 'The restore target cannot be used',
  TAPIR_E_SAVE_SET_INCOMPLETE: 'The save set is not complete',
  TAPIR_E_SOURCE_UNAVAILABLE: 'The source cannot be read',
  TAPIR_E_TAPE_POSITION_UNKNOWN: 'The tape position is not known, so writing is refused',
  TAPIR_E_UNSAFE_PATH: 'A path in the save set would leave the restore target',
  TAPIR_E_VERIFY_FAILED: 'Verification found damaged items',
} as const;

/** A stable tapir error code. */
export type ErrorCode = keyof typeof ErrorCodes;

/**
 * Where an error happened: the plugin and hook it crossed, and the domain objects involved.
 * Every field is optional; set what you know.
 */
export interface ErrorContext {
  plugin?: string;
  hook?: string;
  /** The plugin's own code, when a plugin error is wrapped. */
  pluginCode?: string;
  job?: string;
  saveSet?: string;
  item?: string;
  path?: string;
  device?: string;
  barcode?: string;
  element?: number;
  /** SCSI sense key, additional sense code and qualifier, as text. */
  sense?: string;
  /** Any further structured detail. */
  [key: string]: unknown;
}

/**
 * The one error class tapir raises.
 *
 * @example
 * ```ts
 * throw new TapirError('TAPIR_E_SOURCE_UNAVAILABLE', `cannot read ${path}`, { path });
 * ```
 */
export class TapirError extends Error {
  override readonly name = 'TapirError';
  /** The stable code; see {@link ErrorCodes}. */
  readonly code: ErrorCode;
  /** Where the error happened. */
  readonly context: ErrorContext;

  constructor(code: ErrorCode, message?: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message ?? ErrorCodes[code], options);
    this.code = code;
    this.context = context;
  }

  /** A JSON-friendly view for `--json` output and logs. */
  toJSON(): { code: ErrorCode; message: string; context: ErrorContext; cause?: string } {
    const cause = this.cause instanceof Error ? this.cause.message : undefined;
    return { code: this.code, message: this.message, context: this.context, ...(cause ? { cause } : {}) };
  }
}

/** True when `error` is a {@link TapirError}, optionally with the given code. */
export function isTapirError(error: unknown, code?: ErrorCode): error is TapirError {
  return error instanceof TapirError && (code === undefined || error.code === code);
}

/**
 * Wraps any error thrown inside a plugin so that it names the plugin and the hook.
 * A {@link TapirError} keeps its code and gains the plugin and hook in its context.
 */
export function pluginError(plugin: string, hook: string, error: unknown): TapirError {
  if (error instanceof TapirError) {
    if (error.context.plugin) return error;
    return new TapirError(
      error.code,
      `[${plugin}] ${hook}: ${error.message}`,
      { ...error.context, plugin, hook },
      {
        cause: error,
      },
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  const pluginCode = (error as { code?: unknown } | null)?.code;
  return new TapirError(
    'TAPIR_E_PLUGIN_FAILED',
    `[${plugin}] ${hook}: ${message}`,
    { plugin, hook, ...(typeof pluginCode === 'string' ? { pluginCode } : {}) },
    { cause: error },
  );
}
