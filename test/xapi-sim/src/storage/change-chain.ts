/** CBT granularity: one bit of `VDI.list_changed_blocks` covers 64 KiB. */
export const CBT_BLOCK_SIZE = 64 * 1024;

interface WriteEntry {
  seq: number;
  first: number;
  last: number;
}

/**
 * The write history shared by a VDI and its snapshots: every write to the live
 * disk gets a sequence number, and a snapshot remembers the number it was taken
 * at. What changed between two members of the chain is then exact — it is the
 * set of writes between their points, whatever the bytes written were, which is
 * what a changed-block tracker reports.
 */
export class ChangeChain {
  private seq = 0;
  private readonly writes: WriteEntry[] = [];
  /** Sequence number at which CBT was (last) enabled; undefined when disabled. */
  cbtEnabledAt: number | undefined;

  /** The current point of the live disk. */
  get point(): number {
    return this.seq;
  }

  /** Records a write of `length` bytes at `offset`. */
  recordWrite(offset: number, length: number): void {
    if (length <= 0) return;
    this.writes.push({
      seq: ++this.seq,
      first: Math.floor(offset / CBT_BLOCK_SIZE),
      last: Math.floor((offset + length - 1) / CBT_BLOCK_SIZE),
    });
  }

  /** Starts tracking for CBT at the current point. */
  enableCbt(): void {
    if (this.cbtEnabledAt === undefined) this.cbtEnabledAt = this.seq;
  }

  /** Stops CBT; earlier points lose their metadata. */
  disableCbt(): void {
    this.cbtEnabledAt = undefined;
  }

  /** Indices of `blockSize` blocks written in `(from, to]`. */
  changedBlocks(from: number, to: number, blockSize: number): Set<number> {
    const changed = new Set<number>();
    const ratio = blockSize / CBT_BLOCK_SIZE;
    for (const w of this.writes) {
      if (w.seq <= from || w.seq > to) continue;
      for (let b = Math.floor(w.first / ratio); b <= Math.floor(w.last / ratio); b++) changed.add(b);
    }
    return changed;
  }
}
