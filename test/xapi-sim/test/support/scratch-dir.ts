import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A temp directory for one test file, removed by `dispose`. */
export async function scratchDir(): Promise<{ path: string; file(name: string): string; dispose(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'xapi-sim-test-'));
  return { path, file: (name) => join(path, name), dispose: () => rm(path, { recursive: true, force: true }) };
}

/** SHA-256 hex of a buffer. */
export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** SHA-256 hex of a file. */
export async function sha256File(path: string): Promise<string> {
  return sha256(await readFile(path));
}
