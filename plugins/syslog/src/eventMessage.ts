import type { RunEndEvent, RunEvent, SaveSetEndEvent } from '@tapir/sdk';
import { Severity, type SeverityCode } from './Facility.js';

/** The SD-ID of tapir's structured data: a private one under enterprise number 32473 (RFC 5612, for examples). */
export const SD_ID = 'tapir@32473';

/** What a run event says in syslog terms: how severe it is, its MSGID, its structured data and a sentence. */
export interface EventMessage {
  severity: SeverityCode;
  msgId: string;
  params: Record<string, string | number | boolean | undefined>;
  text: string;
  /** When the event happened, when the event says so. */
  at?: string;
}

// Keyed by string: a media event added to the SDK later is sent as a notice until it is given its own severity.
const mediaSeverity: Record<string, SeverityCode> = {
  full: Severity.notice,
  needed: Severity.warning,
  cleaning: Severity.warning,
  labelled: Severity.info,
  recycled: Severity.info,
  error: Severity.err,
};

const endSeverity: Record<RunEndEvent['status'], SeverityCode> = {
  ok: Severity.info,
  warning: Severity.warning,
  failed: Severity.err,
};

/**
 * Maps a run event to its syslog message. Only what the event carries is used: no configuration value (and so no
 * secret) ever reaches a message.
 */
export function eventMessage(event: RunEvent): EventMessage {
  switch (event.type) {
    case 'start':
      return {
        severity: Severity.info,
        msgId: 'JOBSTART',
        params: { job: event.job, runId: event.runId },
        text: `job ${event.job} started (run ${event.runId})`,
        at: event.at,
      };
    case 'end':
      return {
        severity: endSeverity[event.status],
        msgId: 'JOBEND',
        params: endParams(event),
        text: endText(event),
        at: event.at,
      };
    case 'saveSetEnd':
      return {
        severity: event.status === 'complete' ? Severity.info : Severity.err,
        msgId: 'SAVESET',
        params: {
          job: event.job,
          saveSet: event.saveSet,
          object: event.object,
          level: event.level,
          status: event.status,
          items: event.items,
          bytes: event.bytes,
          storedBytes: event.storedBytes,
          code: event.error?.code,
        },
        text: saveSetText(event),
      };
    case 'failure':
      return {
        severity: Severity.err,
        msgId: 'FAILURE',
        params: { job: event.job, runId: event.runId, code: event.error.code },
        text: `job ${event.job} failed: ${event.error.message}`,
      };
    case 'media':
      return {
        severity: mediaSeverity[event.event] ?? Severity.notice,
        msgId: 'MEDIA',
        params: { event: event.event, medium: event.medium, device: event.device },
        text: event.message,
      };
    case 'item':
      return {
        severity: Severity.debug,
        msgId: 'ITEM',
        params: {
          job: event.job,
          saveSet: event.saveSet,
          path: event.path,
          bytes: event.bytes,
          unchanged: event.unchanged,
        },
        text: `${event.unchanged ? 'unchanged' : 'stored'} ${event.path}`,
      };
    case 'progress':
      return {
        severity: Severity.debug,
        msgId: 'PROGRESS',
        params: { job: event.job, items: event.items, bytes: event.bytes, storedBytes: event.storedBytes },
        text: `job ${event.job}: ${event.items} items, ${formatBytes(event.bytes)} read`,
      };
  }
}

function endParams(event: RunEndEvent): EventMessage['params'] {
  const sum = (field: 'items' | 'bytes' | 'storedBytes') => event.saveSets.reduce((n, s) => n + s[field], 0);
  return {
    job: event.job,
    runId: event.runId,
    status: event.status,
    saveSets: event.saveSets.length,
    failedSaveSets: event.saveSets.filter((s) => s.status === 'failed').length,
    warnings: event.warnings.length,
    items: sum('items'),
    bytes: sum('bytes'),
    storedBytes: sum('storedBytes'),
  };
}

function endText(event: RunEndEvent): string {
  const failed = event.saveSets.filter((s) => s.status === 'failed').length;
  const total = event.saveSets.length;
  const stored = formatBytes(event.saveSets.reduce((n, s) => n + s.storedBytes, 0));
  const sets = `${total} save set${total === 1 ? '' : 's'}`;
  switch (event.status) {
    case 'ok':
      return `job ${event.job} ended ok: ${sets}, ${stored} stored`;
    case 'warning': {
      const n = event.warnings.length;
      return `job ${event.job} ended with ${n} warning${n === 1 ? '' : 's'}: ${sets}, ${stored} stored`;
    }
    case 'failed':
      if (failed > 0) return `job ${event.job} failed: ${failed} of ${sets} failed`;
      return total > 0 ? `job ${event.job} failed (${sets} complete)` : `job ${event.job} failed before any save set`;
  }
}

function saveSetText(event: SaveSetEndEvent): string {
  const which = `save set ${event.saveSet.slice(0, 8)} (${event.object}, ${event.level}) of job ${event.job}`;
  return event.status === 'complete'
    ? `${which} complete: ${event.items} items, ${formatBytes(event.storedBytes)} stored`
    : `${which} failed: ${event.error?.message ?? 'no reason given'}`;
}

/** Bytes in binary units, one decimal: `1.5 MiB`. */
function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}
