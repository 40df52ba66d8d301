/** Sources produce items; restore targets consume them. */
import type { JSONSchema } from './schema.js';
import type { RunContext } from './context.js';
import type { ItemsPlan } from './encoding.js';
import type { ItemMeta, SourceItem } from './item.js';

/** A source opened with its options for one run. */
export interface Source {
  /** A short, stable description of the object being backed up (e.g. `files:/home`); one save set per object. */
  readonly object: string;
  /**
   * Yields the object's items in order: a directory before its entries. Must honour `ctx.signal`. `plan` says what
   * tapir offers for this save set (since API 1.1; absent before).
   */
  items(ctx: RunContext, plan?: ItemsPlan): AsyncIterable<SourceItem>;
  /** Releases whatever `items` held (sessions, snapshots). Called once, after success or failure. */
  close?(): Promise<void>;
}

/**
 * A kind of source, as a plugin registers it.
 *
 * @typeParam O - the options the job configuration gives this source (validated against {@link SourceKind.schema}).
 */
export interface SourceKind<O = Record<string, unknown>> {
  /** The name jobs use in `sources[].kind`. */
  kind: string;
  /** JSON Schema of the options (without `kind`, which tapir adds). */
  schema: JSONSchema;
  /** Opens the source for a run. */
  create(options: O, ctx: RunContext): Source | Promise<Source>;
  /**
   * A hint (since API 1.2): a backup will open this kind soon. tapir gives it as soon as it knows, before it validates
   * the configuration and opens the catalog, so that what takes long to start (a thread, a connection) starts while
   * tapir does. It gets no options; it must not read data, throw, or keep the process alive, and what it started and
   * no `create` took up must end by itself.
   */
  prepare?(): void;
  /**
   * Splits one configured source into several, each opened by {@link SourceKind.create} and stored as its own save
   * set — e.g. `vms: [a, b]` into one source per VM. Called once per run, before anything is written.
   */
  expand?(options: O, ctx: RunContext): O[] | Promise<O[]>;
}

/** Where restore writes items. */
export interface RestoreTarget {
  /** Checks the target can take a restore (exists or can be made, empty unless overwriting). Writes nothing. */
  prepare(): Promise<void>;
  /**
   * Restores one item. `data` is the item's plaintext (the sparse regions concatenated for a sparse file), or
   * undefined for items without data. The target must never write outside its root.
   */
  write(item: ItemMeta, data: AsyncIterable<Uint8Array> | undefined): Promise<void>;
  /** Applies what must come last (directory times and modes, deferred links). */
  finish(): Promise<void>;
}

/** A kind of restore target, as a plugin registers it. */
export interface RestoreTargetKind<O = Record<string, unknown>> {
  kind: string;
  schema: JSONSchema;
  create(options: O, ctx: RunContext): RestoreTarget | Promise<RestoreTarget>;
}
