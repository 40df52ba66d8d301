import { randomUUID } from 'node:crypto';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TapirError, type Logger } from '@tapir/sdk';

/** Who holds a lock: written into the lock file. */
interface LockOwner {
  pid: number;
  job: string;
  since: string;
}

/**
 * An exclusive lock on a drive or a tape shared by every tapir process on this host: a file created with `O_EXCL`
 * under `<home>/locks/` holding the owner's pid. A lock whose pid is gone (a killed run) is stale and taken over.
 */
export class ResourceLock {
  private constructor(
    readonly resource: string,
    private readonly path: string,
  ) {}

  /** The lock directory for a tapir home (a temporary one when the run has none). */
  static directory(home: string | undefined): string {
    return join(home ?? join(tmpdir(), 'tapir'), 'locks');
  }

  /** Takes the lock now, or returns undefined when a live process holds it. */
  static async tryAcquire(dir: string, resource: string, job: string): Promise<ResourceLock | undefined> {
    await mkdir(dir, { recursive: true });
    const path = join(dir, `${resource.replace(/[^A-Za-z0-9._-]+/g, '_')}.lock`);
    for (let attempt = 0; attempt < 3; attempt++) {
      // The owner is written to a private file first and linked into place: link() is atomic and fails when the
      // lock exists, so nobody ever reads a lock file without its owner (and takes it for stale).
      const mine: LockOwner = { pid: process.pid, job, since: new Date().toISOString() };
      const draft = `${path}.${process.pid}.${randomUUID()}`;
      await writeFile(draft, JSON.stringify(mine), { mode: 0o600 });
      try {
        await link(draft, path);
        return new ResourceLock(resource, path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      } finally {
        await rm(draft, { force: true });
      }
      const owner = await ResourceLock.owner(path);
      if (owner && isAlive(owner.pid)) return undefined;
      // Stale: the process that made it is gone (or the file is not a lock file tapir wrote).
      await rm(path, { force: true });
    }
    return undefined;
  }

  /** The holder of a lock file, if it names one. */
  static async owner(path: string): Promise<LockOwner | undefined> {
    try {
      return JSON.parse(await readFile(path, 'utf8')) as LockOwner;
    } catch {
      return undefined;
    }
  }

  /**
   * Takes the first free lock of `resources` (in order), waiting with a log message while all are held, and failing
   * after `timeoutSeconds` with `TAPIR_E_DRIVE_BUSY` naming the holders.
   */
  static async acquireAny(
    dir: string,
    resources: readonly string[],
    options: { job: string; timeoutSeconds: number; log: Logger; signal: AbortSignal; what: string },
  ): Promise<ResourceLock> {
    const deadline = Date.now() + options.timeoutSeconds * 1000;
    let told = false;
    for (;;) {
      for (const r of resources) {
        const lock = await ResourceLock.tryAcquire(dir, r, options.job);
        if (lock) return lock;
      }
      const holders = await Promise.all(
        resources.map(async (r) => {
          const o = await ResourceLock.owner(join(dir, `${r.replace(/[^A-Za-z0-9._-]+/g, '_')}.lock`));
          return o ? `${r} (job ${o.job}, pid ${o.pid})` : r;
        }),
      );
      if (Date.now() >= deadline)
        throw new TapirError(
          'TAPIR_E_DRIVE_BUSY',
          `no ${options.what} free within ${options.timeoutSeconds} s (reserveTimeoutSeconds): held by ${holders.join(', ')}`,
          { resources: [...resources], holders },
        );
      if (!told) {
        told = true;
        options.log.info(
          { resources, holders },
          `waiting up to ${options.timeoutSeconds} s for a ${options.what}: held by ${holders.join(', ')}`,
        );
      }
      if (options.signal.aborted) throw options.signal.reason;
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** Releases the lock. Safe to call twice. */
  async release(): Promise<void> {
    await rm(this.path, { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
