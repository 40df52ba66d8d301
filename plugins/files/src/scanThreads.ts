/**
 * Scan threads (`scanWorker.ts`) started ahead of the source that takes them. Imported by the plugin's light entry,
 * so it holds nothing but this (docs/adr/0012-cli-start-up.md).
 */
import { Worker } from 'node:worker_threads';

/** A scan thread started ahead by {@link prepareScanThread}, until a source takes it. */
let spare: { worker: Worker; timer: NodeJS.Timeout } | undefined;
/** A spare no source took within this time ends. */
const SPARE_MS = 30_000;

// From dist/ in both cases: `src/` (tests importing sources) and `dist/` are siblings.
const startWorker = (): Worker => new Worker(new URL('../dist/scanWorker.js', import.meta.url));

/**
 * Starts a scan thread for the next source to take: the `files` kind's `prepare` hint. A Node thread takes ~40 ms to
 * start, which otherwise came between the run asking for the first item and the first batch.
 *
 * @remarks
 * The thread waits for its work and never keeps the process alive. One that fails to start, or that no source takes
 * within 30 s, ends; the next source then starts its own.
 */
export function prepareScanThread(): void {
  if (spare) return;
  const worker = startWorker();
  const drop = () => {
    if (spare?.worker !== worker) return;
    clearTimeout(spare.timer);
    spare = undefined;
    void worker.terminate();
  };
  worker.once('error', drop);
  worker.once('exit', drop);
  worker.unref();
  spare = { worker, timer: setTimeout(drop, SPARE_MS).unref() };
}

/** The spare thread, now the caller's (with none of its listeners), or a new one. */
export function takeScanThread(): Worker {
  if (spare === undefined) return startWorker();
  const { worker, timer } = spare;
  spare = undefined;
  clearTimeout(timer);
  worker.removeAllListeners();
  return worker;
}

/** The spare scan thread, if one waits (for tests). */
export function spareScanThread(): Worker | undefined {
  return spare?.worker;
}
