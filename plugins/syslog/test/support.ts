/** The `syslog` kind as tapir gets it (through the plugin's hooks), and sample run events. */
import { createTapirHooks, type Notifier, type NotifierKind, type RunEvent, type SaveSetEndEvent } from '@tapir/sdk';
import plugin from '../src/index.js';
import type { SyslogOptions } from '../src/SyslogOptions.js';

const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** Creates a `syslog` notifier the way tapir does: the kind registered by `apply`, then `create(options)`. */
export async function syslogNotifier(options: SyslogOptions): Promise<Notifier> {
  const hooks = createTapirHooks();
  await plugin.apply(hooks, { config: {}, log: silent, home: '/nonexistent' });
  const kind = hooks.notifiers.get('syslog')?.call() as NotifierKind<SyslogOptions> | undefined;
  if (!kind) throw new Error('the plugin registered no syslog notifier');
  return kind.create(options);
}

export const saveSet = (job: string, overrides: Partial<SaveSetEndEvent> = {}): SaveSetEndEvent => ({
  type: 'saveSetEnd',
  job,
  saveSet: '3f2a9c1e-0000-4000-8000-000000000001',
  object: 'files:/srv/data',
  level: 'full',
  status: 'complete',
  items: 12,
  bytes: 3 * 1024 * 1024,
  storedBytes: 1536 * 1024,
  ...overrides,
});

/** One event of each kind a job run sends, for job `job`, with what each must become. */
export function sampleEvents(job: string): Array<{
  event: RunEvent;
  severity: number;
  msgid: string;
  params: Record<string, string>;
  msg: string;
}> {
  const at = '2026-11-21T23:50:00.000Z';
  const failed = saveSet(job, {
    status: 'failed',
    saveSet: '77aa0000-0000-4000-8000-000000000002',
    items: 0,
    storedBytes: 0,
    bytes: 0,
    error: { code: 'TAPIR_E_SOURCE_UNAVAILABLE', message: 'cannot read /srv/data: ENOENT' },
  });
  return [
    {
      event: { type: 'start', job, runId: 7, at },
      severity: 6,
      msgid: 'JOBSTART',
      params: { job, runId: '7' },
      msg: `job ${job} started (run 7)`,
    },
    {
      event: saveSet(job),
      severity: 6,
      msgid: 'SAVESET',
      params: {
        job,
        saveSet: '3f2a9c1e-0000-4000-8000-000000000001',
        object: 'files:/srv/data',
        level: 'full',
        status: 'complete',
        items: '12',
        bytes: String(3 * 1024 * 1024),
        storedBytes: String(1536 * 1024),
      },
      msg: `save set 3f2a9c1e (files:/srv/data, full) of job ${job} complete: 12 items, 1.5 MiB stored`,
    },
    {
      event: failed,
      severity: 3,
      msgid: 'SAVESET',
      params: {
        job,
        saveSet: failed.saveSet,
        object: 'files:/srv/data',
        level: 'full',
        status: 'failed',
        items: '0',
        bytes: '0',
        storedBytes: '0',
        code: 'TAPIR_E_SOURCE_UNAVAILABLE',
      },
      msg: `save set 77aa0000 (files:/srv/data, full) of job ${job} failed: cannot read /srv/data: ENOENT`,
    },
    {
      event: { type: 'failure', job, runId: 7, error: { code: 'TAPIR_E_SOURCE_UNAVAILABLE', message: 'no source' } },
      severity: 3,
      msgid: 'FAILURE',
      params: { job, runId: '7', code: 'TAPIR_E_SOURCE_UNAVAILABLE' },
      msg: `job ${job} failed: no source`,
    },
    {
      event: { type: 'end', job, runId: 7, at, status: 'ok', warnings: [], saveSets: [saveSet(job)] },
      severity: 6,
      msgid: 'JOBEND',
      params: {
        job,
        runId: '7',
        status: 'ok',
        saveSets: '1',
        failedSaveSets: '0',
        warnings: '0',
        items: '12',
        bytes: String(3 * 1024 * 1024),
        storedBytes: String(1536 * 1024),
      },
      msg: `job ${job} ended ok: 1 save set, 1.5 MiB stored`,
    },
    {
      event: {
        type: 'end',
        job,
        runId: 8,
        at,
        status: 'warning',
        warnings: [
          { code: 'FILE_CHANGED', message: 'changed while read', item: 'a' },
          { code: 'FILE_CHANGED', message: 'changed while read', item: 'b' },
        ],
        saveSets: [saveSet(job), saveSet(job)],
      },
      severity: 4,
      msgid: 'JOBEND',
      params: {
        job,
        runId: '8',
        status: 'warning',
        saveSets: '2',
        failedSaveSets: '0',
        warnings: '2',
        items: '24',
        bytes: String(6 * 1024 * 1024),
        storedBytes: String(3 * 1024 * 1024),
      },
      msg: `job ${job} ended with 2 warnings: 2 save sets, 3.0 MiB stored`,
    },
    {
      event: { type: 'end', job, runId: 9, at, status: 'failed', warnings: [], saveSets: [saveSet(job), failed] },
      severity: 3,
      msgid: 'JOBEND',
      params: {
        job,
        runId: '9',
        status: 'failed',
        saveSets: '2',
        failedSaveSets: '1',
        warnings: '0',
        items: '12',
        bytes: String(3 * 1024 * 1024),
        storedBytes: String(1536 * 1024),
      },
      msg: `job ${job} failed: 1 of 2 save sets failed`,
    },
    {
      event: { type: 'media', event: 'full', medium: 'TAPE0001L6', device: 'drive 0', message: 'TAPE0001L6 is full' },
      severity: 5,
      msgid: 'MEDIA',
      params: { event: 'full', medium: 'TAPE0001L6', device: 'drive 0' },
      msg: 'TAPE0001L6 is full',
    },
    {
      event: { type: 'media', event: 'needed', medium: 'TAPE0009L6', message: 'insert TAPE0009L6' },
      severity: 4,
      msgid: 'MEDIA',
      params: { event: 'needed', medium: 'TAPE0009L6' },
      msg: 'insert TAPE0009L6',
    },
    {
      event: { type: 'media', event: 'cleaning', device: 'drive 1', message: 'drive 1 asks for cleaning' },
      severity: 4,
      msgid: 'MEDIA',
      params: { event: 'cleaning', device: 'drive 1' },
      msg: 'drive 1 asks for cleaning',
    },
    {
      event: { type: 'media', event: 'error', medium: 'TAPE0002L6', message: 'TAPE0002L6 failed: medium error' },
      severity: 3,
      msgid: 'MEDIA',
      params: { event: 'error', medium: 'TAPE0002L6' },
      msg: 'TAPE0002L6 failed: medium error',
    },
  ];
}
