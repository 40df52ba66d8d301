import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '../..');
const BIN = join(REPO, 'bin', 'run.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON, when it is JSON. */
  json?: any;
}

/** A scratch directory with its own tapir home; `dispose()` removes it. */
export async function scratch(
  prefix = 'tapir-test-',
): Promise<{ dir: string; home: string; dispose(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, home: join(dir, 'home'), dispose: () => rm(dir, { recursive: true, force: true }) };
}

/** Starts the tapir CLI as a real process. */
export function startCli(args: string[], options: { home: string; env?: Record<string, string> }): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, TAPIR_HOME: options.home, NO_COLOR: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs the tapir CLI to completion. */
export function cli(args: string[], options: { home: string; env?: Record<string, string> }): Promise<CliResult> {
  return collect(startCli(args, options));
}

/** Runs another CLI script (e.g. a vendor distribution's bin) to completion. */
export function runScript(script: string, args: string[], env: Record<string, string>): Promise<CliResult> {
  return collect(
    spawn(process.execPath, [script, ...args], {
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
}

/** Waits for a child and gathers its output, parsing stdout as JSON when it is JSON. */
function collect(child: ChildProcess): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      let json: unknown;
      try {
        json = JSON.parse(stdout);
      } catch {
        json = undefined;
      }
      resolvePromise({ code, signal, stdout, stderr, json });
    });
  });
}
