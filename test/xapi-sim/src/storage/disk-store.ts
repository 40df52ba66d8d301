import { randomFill } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, mkdtemp, open, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ChangeChain } from './change-chain.js';
import { ALLOCATION_BLOCK_SIZE, VirtualDisk } from './virtual-disk.js';

const randomFillAsync = promisify(randomFill);

/** How a new disk is filled: given bytes (written at offset 0), random bytes, or zeros. */
export type DiskContent = Uint8Array | 'random' | 'zeros';

/**
 * Owns every VDI's content file, keyed by VDI reference, in one temp
 * directory that {@link DiskStore.dispose} removes.
 */
export class DiskStore {
  private readonly disks = new Map<string, VirtualDisk>();
  /** Disks whose data was destroyed but whose CBT metadata stays (`VDI.data_destroy`). */
  private readonly metadataOnly = new Map<string, VirtualDisk>();
  private counter = 0;

  private constructor(readonly dir: string) {}

  /** Creates the store's temp directory. */
  static async create(): Promise<DiskStore> {
    return new DiskStore(await mkdtemp(join(tmpdir(), 'xapi-sim-')));
  }

  /** The disk of a VDI; throws if the VDI has no content (e.g. a `cbt_metadata` VDI). */
  get(vdiRef: string): VirtualDisk {
    const disk = this.disks.get(vdiRef);
    if (disk === undefined) throw new Error(`no content for VDI ${vdiRef}`);
    return disk;
  }

  /** The disk of a VDI, if it has content. */
  find(vdiRef: string): VirtualDisk | undefined {
    return this.disks.get(vdiRef);
  }

  /** A new writable disk with its own change chain. */
  async createDisk(vdiRef: string, size: number, content: DiskContent = 'zeros'): Promise<VirtualDisk> {
    const path = this.nextPath();
    const fh = await open(path, 'w+');
    await fh.truncate(size);
    await fh.close();
    const disk = new VirtualDisk(path, size, new ChangeChain(), 'live');
    if (content === 'random') {
      const step = 8 * 1024 * 1024;
      const chunk = Buffer.allocUnsafe(step);
      for (let offset = 0; offset < size; offset += step) {
        const piece = chunk.subarray(0, Math.min(step, size - offset));
        await randomFillAsync(piece);
        await disk.write(offset, piece, { track: false });
      }
    } else if (content !== 'zeros') {
      // Only blocks holding non-zero bytes become allocated, as on a thin SR.
      for (let offset = 0; offset < content.length; offset += ALLOCATION_BLOCK_SIZE) {
        const piece = content.subarray(offset, Math.min(content.length, offset + ALLOCATION_BLOCK_SIZE));
        if (piece.some((b) => b !== 0)) await disk.write(offset, piece, { track: false });
      }
    }
    this.disks.set(vdiRef, disk);
    return disk;
  }

  /** A read-only copy frozen at the live disk's current point, sharing its chain (a VDI snapshot). */
  async snapshotDisk(sourceRef: string, vdiRef: string): Promise<VirtualDisk> {
    const source = this.get(sourceRef);
    const path = this.nextPath();
    await copyFile(source.path, path, constants.COPYFILE_FICLONE);
    const disk = new VirtualDisk(path, source.size, source.chain, source.chainPoint, source.allocated.slice());
    this.disks.set(vdiRef, disk);
    return disk;
  }

  /** A writable copy with a new chain (a VDI clone). */
  async cloneDisk(sourceRef: string, vdiRef: string): Promise<VirtualDisk> {
    const source = this.get(sourceRef);
    const path = this.nextPath();
    await copyFile(source.path, path, constants.COPYFILE_FICLONE);
    const disk = new VirtualDisk(path, source.size, new ChangeChain(), 'live', source.allocated.slice());
    this.disks.set(vdiRef, disk);
    return disk;
  }

  /** The change chain and point of a VDI, also after its data was destroyed. */
  changeState(vdiRef: string): { chain: ChangeChain; point: number } | undefined {
    const disk = this.disks.get(vdiRef) ?? this.metadataOnly.get(vdiRef);
    return disk === undefined ? undefined : { chain: disk.chain, point: disk.chainPoint };
  }

  /** Deletes a VDI's content; with `keepMetadata` its change state survives (VDI.data_destroy). */
  async removeDisk(vdiRef: string, options: { keepMetadata?: boolean } = {}): Promise<void> {
    const disk = this.disks.get(vdiRef);
    if (disk === undefined) {
      if (!options.keepMetadata) this.metadataOnly.delete(vdiRef);
      return;
    }
    this.disks.delete(vdiRef);
    if (options.keepMetadata) this.metadataOnly.set(vdiRef, disk);
    await disk.close();
    await unlink(disk.path).catch(() => undefined);
  }

  /** Closes every file and removes the temp directory. */
  async dispose(): Promise<void> {
    for (const disk of this.disks.values()) await disk.close();
    this.disks.clear();
    await rm(this.dir, { recursive: true, force: true });
  }

  private nextPath(): string {
    return join(this.dir, `vdi-${++this.counter}.img`);
  }
}
