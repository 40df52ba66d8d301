import type { RunContext } from '@tapir/sdk';
import { xapiCode } from './xapiErrors.js';
import type { BackupMethod } from './schema.js';
import type { XapiConnection } from './XapiConnection.js';
import { destroySnapshot, type VmHandle } from './vmInventory.js';

/** `other_config` key marking a snapshot tapir made, with the job's name: stale ones are removed at the next run. */
export const TEMP_KEY = 'tapir:temp';

/** Codes with which a host refuses `snapshot_with_quiesce`: removed in 8.1, or the guest's VSS failed. */
const QUIESCE_UNAVAILABLE = new Set([
  'MESSAGE_REMOVED',
  'MESSAGE_METHOD_UNKNOWN',
  'VM_SNAPSHOT_WITH_QUIESCE_FAILED',
  'VM_SNAPSHOT_WITH_QUIESCE_TIMEOUT',
  'VM_SNAPSHOT_WITH_QUIESCE_PLUGIN_DOES_NOT_RESPOND',
  'VM_SNAPSHOT_WITH_QUIESCE_NOT_SUPPORTED',
]);

/**
 * A consistent image of a VM taken by one of SEP's four methods, and the undoing of it.
 *
 * @remarks
 * Phases: {@link take} → (exports read {@link ref}) → {@link release}. `release` is idempotent and runs after
 * success and failure alike: it restarts a VM the offline method shut down and destroys the snapshot or checkpoint
 * unless it was {@link keep}-ed as the base of the next incremental.
 */
export class VmCapture {
  /** What the exports read: a snapshot, a checkpoint, or the VM itself (offline XVA). */
  ref = '';
  /** True when {@link ref} is a snapshot or checkpoint this capture made. */
  owned = false;
  /** True when the capture holds memory (a checkpoint): the XVA export preserves the power state. */
  withMemory = false;
  /** The method actually used (quiesced may fall back to snapshot). */
  method: BackupMethod;
  private restartVm = false;
  private kept = false;
  private released = false;

  constructor(
    private readonly conn: XapiConnection,
    private readonly vm: VmHandle,
    method: BackupMethod,
    private readonly ctx: RunContext,
  ) {
    this.method = method;
  }

  /**
   * Takes the image. `needSnapshot`: the exports must read a snapshot even when offline (a VHD chain keeps it as
   * its base).
   */
  async take(needSnapshot: boolean): Promise<void> {
    const name = `tapir ${this.ctx.job} ${new Date().toISOString()}`;
    const vm = this.vm.ref;
    switch (this.method) {
      case 'offline': {
        const state = await this.conn.call<string>('VM.get_power_state', vm);
        if (state === 'Running') {
          this.ctx.log.info({ vm: this.vm.uuid }, `offline backup: shutting down VM ${this.vm.uuid}`);
          this.restartVm = true;
          try {
            await this.conn.callAsync('VM.clean_shutdown', vm);
          } catch (error) {
            this.ctx.log.warn(
              { vm: this.vm.uuid, code: xapiCode(error) },
              `clean shutdown failed (${xapiCode(error) ?? 'error'}); forcing a hard shutdown`,
            );
            await this.conn.callAsync('VM.hard_shutdown', vm);
          }
        }
        if (needSnapshot) await this.snapshot(name);
        else this.ref = vm;
        return;
      }
      case 'live-memory': {
        try {
          this.ref = await this.conn.callAsync<string>('VM.checkpoint', vm, name);
          this.owned = true;
          this.withMemory = true;
          await this.mark();
          return;
        } catch (error) {
          if (xapiCode(error) !== 'VM_BAD_POWER_STATE') throw error;
          this.ctx.warn({
            code: 'XEN_CHECKPOINT_UNAVAILABLE',
            message: `VM ${this.vm.uuid} is not running, so it has no memory to checkpoint: took a normal snapshot`,
          });
          this.method = 'snapshot';
          return this.snapshot(name);
        }
      }
      case 'quiesced': {
        try {
          this.ref = await this.conn.callAsync<string>('VM.snapshot_with_quiesce', vm, name);
          this.owned = true;
          await this.mark();
          return;
        } catch (error) {
          const code = xapiCode(error) ?? '';
          if (!QUIESCE_UNAVAILABLE.has(code)) throw error;
          this.ctx.warn({
            code: 'XEN_QUIESCE_UNAVAILABLE',
            message:
              code === 'MESSAGE_REMOVED'
                ? `this host no longer offers quiesced snapshots (removed in Citrix Hypervisor 8.1): took a normal, crash-consistent snapshot of VM ${this.vm.uuid}`
                : `quiesced snapshot of VM ${this.vm.uuid} failed (${code}): took a normal, crash-consistent snapshot`,
          });
          this.method = 'snapshot';
          return this.snapshot(name);
        }
      }
      case 'snapshot':
        return this.snapshot(name);
    }
  }

  /** Keeps the snapshot after {@link release} (the base of the next incremental). */
  keep(): void {
    this.kept = true;
  }

  /** Restarts the VM if the offline method stopped it; destroys the snapshot unless kept. Never throws twice. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    const problems: unknown[] = [];
    if (this.owned && !this.kept) {
      await destroySnapshot(this.conn, this.ref).catch((error: unknown) => problems.push(error));
    }
    if (this.restartVm) {
      try {
        this.ctx.log.info({ vm: this.vm.uuid }, `offline backup: starting VM ${this.vm.uuid} again`);
        await this.conn.callAsync('VM.start', this.vm.ref, false, false);
      } catch (error) {
        problems.push(error);
      }
    }
    if (problems.length > 0) throw problems[0];
  }

  private async snapshot(name: string): Promise<void> {
    this.ref = await this.conn.callAsync<string>('VM.snapshot', this.vm.ref, name);
    this.owned = true;
    await this.mark();
  }

  private async mark(): Promise<void> {
    // A VM restored from a tapir XVA may carry the key already, and snapshots copy the VM's other_config.
    await this.conn.call('VM.remove_from_other_config', this.ref, TEMP_KEY);
    await this.conn.call('VM.add_to_other_config', this.ref, TEMP_KEY, this.ctx.job);
  }
}
