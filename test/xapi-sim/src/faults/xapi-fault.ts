/** The HTTP data handlers a transfer fault can target. */
export type TransferHandler = '/export' | '/export_raw_vdi' | '/import' | '/import_raw_vdi';

/**
 * A fault to inject through {@link XapiSimulator.inject}. These are the
 * failures the reference lists as worth testing; each is consumed once
 * (or `times` times) by the first request it matches.
 */
export type XapiFault =
  /** The next matching RPC call fails with this API error instead of running (e.g. `VM_BAD_POWER_STATE`, `OPERATION_NOT_ALLOWED`, `SR_BACKEND_FAILURE_44`, `MESSAGE_METHOD_UNKNOWN`). */
  | { kind: 'call-error'; method: string; code: string; params?: string[]; times?: number }
  /** Every existing session becomes invalid (`SESSION_INVALID` on the next call). */
  | { kind: 'sessions-invalidated' }
  /** The next `event.from` answers `EVENTS_LOST` and older tokens stay lost. */
  | { kind: 'events-lost' }
  /**
   * `VDI_IO_ERROR` mid-transfer: an export stops after `afterBytes` body bytes
   * (the connection is closed cleanly, so the body just ends short), an import
   * stops reading there; the task fails with `VDI_IO_ERROR ["Device I/O errors"]`.
   */
  | { kind: 'vdi-io-error'; handler?: TransferHandler; afterBytes: number }
  /** The connection is reset (TCP RST) after `afterBytes` body bytes; the task fails. */
  | { kind: 'premature-close'; handler?: TransferHandler; afterBytes: number }
  /** A 200 response whose body begins with an HTTP status line (a proxied or doubled response). */
  | { kind: 'http-in-body'; handler?: TransferHandler }
  /** The transfer answers 302 to another pool member (by index) carrying the full query. */
  | { kind: 'redirect'; handler?: TransferHandler; toHost: number }
  /** The task bound to the next transfer is destroyed while it runs. */
  | { kind: 'task-destroyed'; handler?: TransferHandler; afterBytes?: number }
  /** The VM migrates to another host (by index) just before the `afterCalls`-th next RPC call (default 1). */
  | { kind: 'vm-migrates'; vm: string; toHost: number; afterCalls?: number }
  /** The pool master becomes the given host now; the old master answers `HOST_IS_SLAVE`. */
  | { kind: 'master-change'; toHost: number }
  /** `VM.snapshot_with_quiesce` answers this from now on (`MESSAGE_REMOVED`, `VM_SNAPSHOT_WITH_QUIESCE_FAILED`, …), or works again with `'supported'`. */
  | { kind: 'quiesce'; behaviour: QuiesceBehaviour }
  /** The host at this index stops answering (connections are refused until `host-up`). */
  | { kind: 'host-down'; host: number }
  /** The host at this index answers again. */
  | { kind: 'host-up'; host: number };

/** How `VM.snapshot_with_quiesce` behaves: works, or raises this error code. */
export type QuiesceBehaviour =
  | 'supported'
  | 'MESSAGE_REMOVED'
  | 'VM_SNAPSHOT_WITH_QUIESCE_FAILED'
  | 'VM_SNAPSHOT_WITH_QUIESCE_TIMEOUT'
  | 'VM_SNAPSHOT_WITH_QUIESCE_PLUGIN_DOES_NOT_RESPOND'
  | 'VM_SNAPSHOT_WITH_QUIESCE_NOT_SUPPORTED';
