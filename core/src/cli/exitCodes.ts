import type { ErrorCode } from '@tapir/sdk';

/** Exit codes of every tapir command (documented in docs/cli.md). */
export const ExitCode = {
  OK: 0,
  /** The run or command failed. */
  FAILED: 1,
  /** Wrong flags or arguments. */
  USAGE: 2,
  /** The configuration or a plugin is invalid; nothing was done. */
  CONFIG: 3,
  /** Verification or restore found damaged items. */
  DAMAGED: 4,
  /** Cancelled by SIGINT/SIGTERM. */
  INTERRUPTED: 130,
} as const;

/** The exit code for an error code. */
export function exitCodeFor(code: ErrorCode | undefined): number {
  switch (code) {
    case 'TAPIR_E_CONFIG_INVALID':
    case 'TAPIR_E_CONFIG_NOT_FOUND':
    case 'TAPIR_E_PLUGIN_INVALID':
    case 'TAPIR_E_PLUGIN_NOT_FOUND':
    case 'TAPIR_E_API_MISMATCH':
    case 'TAPIR_E_JOB_NOT_FOUND':
    case 'TAPIR_E_LICENSE_INVALID':
      return ExitCode.CONFIG;
    case 'TAPIR_E_VERIFY_FAILED':
    case 'TAPIR_E_ITEM_DAMAGED':
      return ExitCode.DAMAGED;
    case 'TAPIR_E_ABORTED':
      return ExitCode.INTERRUPTED;
    default:
      return ExitCode.FAILED;
  }
}
