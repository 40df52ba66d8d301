import { canonicalClassName, XAPI_CLASSES, type XapiClassName } from '../model/pool-database.js';
import { XapiDateTime } from '../model/xapi-date-time.js';
import { XapiFailure } from '../model/xapi-failure.js';
import { cloneValue, type XapiRecord, type XapiValue } from '../model/xapi-value.js';
import { intArg, refArg, stringArg } from './args.js';
import type { MethodSpec } from './method-table.js';

/** Fields `set_<field>` may change (XAPI's read-write fields the simulator models). */
const WRITABLE_FIELDS = new Set([
  'name_label',
  'name_description',
  'other_config',
  'tags',
  'blocked_operations',
  'xenstore_data',
  'is_a_template',
  'affinity',
  'default_SR',
  'suspend_image_SR',
  'crash_dump_SR',
  'ha_restart_priority',
  'ha_always_run',
  'read_only',
  'sharable',
  'on_boot',
  'allow_caching',
  'suspend_SR',
  'PV_args',
  'HVM_boot_params',
  'HVM_boot_policy',
  'platform',
  'VCPUs_max',
  'VCPUs_at_startup',
  'memory_static_max',
  'memory_dynamic_max',
  'memory_dynamic_min',
  'memory_static_min',
  'actions_after_shutdown',
  'actions_after_reboot',
  'actions_after_crash',
  'sm_config',
  'MTU',
  'userdevice',
  'bootable',
  'mode',
]);

function isMap(value: XapiValue | undefined): value is Record<string, XapiValue> {
  return value !== undefined && typeof value === 'object' && !Array.isArray(value) && !(value instanceof XapiDateTime);
}

/** Coerces a `set_<field>` argument to the type the field holds. */
function coerce(field: string, current: XapiValue, value: XapiValue | undefined): XapiValue {
  if (typeof current === 'number') return intArg(value, field);
  if (typeof current === 'boolean') {
    if (typeof value === 'boolean') return value;
    throw new XapiFailure('FIELD_TYPE_ERROR', [field]);
  }
  if (typeof current === 'string') return stringArg(value, field);
  if (Array.isArray(current)) {
    if (!Array.isArray(value)) throw new XapiFailure('FIELD_TYPE_ERROR', [field]);
    return value.map(String);
  }
  if (isMap(current)) {
    if (!isMap(value)) throw new XapiFailure('FIELD_TYPE_ERROR', [field]);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]));
  }
  return value ?? '';
}

/**
 * The accessors XAPI generates for every class: `get_all`, `get_all_records`,
 * `get_record`, `get_by_uuid`, `get_by_name_label`, `get_<field>`,
 * `set_<field>`, `add_to_<map>` / `remove_from_<map>`, `add_<set>` / `remove_<set>`.
 */
export function genericAccessor(name: string): MethodSpec | undefined {
  const dot = name.lastIndexOf('.');
  if (dot < 0) return undefined;
  const cls = canonicalClassName(name.slice(0, dot));
  if (cls === undefined) return undefined;
  const message = name.slice(dot + 1);
  const field = (prefix: string): string => message.slice(prefix.length);

  if (message === 'get_all') return { params: [], run: (ctx) => ctx.pool.db.all(cls).map(([ref]) => ref) };
  if (message === 'get_all_records') {
    return {
      params: [],
      run: (ctx) => Object.fromEntries(ctx.pool.db.all(cls).map(([ref, r]) => [ref, cloneValue(r)])),
    };
  }
  if (message === 'get_record') {
    return { params: ['self'], run: (ctx, [self]) => cloneValue(ctx.pool.db.get(cls, refArg(ctx.pool, cls, self))) };
  }
  if (message === 'get_by_uuid') {
    return { params: ['uuid'], run: (ctx, [uuid]) => ctx.pool.db.refByUuid(cls, stringArg(uuid, 'uuid')) };
  }
  if (message === 'get_by_name_label') {
    return {
      params: ['label'],
      run: (ctx, [label]) =>
        ctx.pool.db
          .all(cls)
          .filter(([, r]) => r['name_label'] === stringArg(label, 'label'))
          .map(([ref]) => ref),
    };
  }
  if (message.startsWith('get_')) {
    return {
      params: ['self'],
      run: (ctx, [self]) => {
        const value = ctx.pool.db.get(cls, refArg(ctx.pool, cls, self))[field('get_')];
        if (value === undefined) throw new XapiFailure('MESSAGE_METHOD_UNKNOWN', [name]);
        return cloneValue(value);
      },
    };
  }
  if (message.startsWith('set_') && WRITABLE_FIELDS.has(field('set_'))) {
    return {
      params: ['self', 'value'],
      run: (ctx, [self, value]) => {
        const f = field('set_');
        const ref = refArg(ctx.pool, cls, self);
        const current = ctx.pool.db.get(cls, ref)[f];
        if (current === undefined) throw new XapiFailure('MESSAGE_METHOD_UNKNOWN', [name]);
        const next = coerce(f, current, value);
        ctx.pool.db.update(cls, ref, (r) => (r[f] = next));
        return '';
      },
    };
  }
  if (message.startsWith('add_to_')) {
    return {
      params: ['self', 'key', 'value'],
      run: (ctx, [self, key, value]) =>
        mapChange(ctx.pool, cls, self, field('add_to_'), name, (map, ref) => {
          const k = stringArg(key, 'key');
          if (k in map) throw new XapiFailure('MAP_DUPLICATE_KEY', [cls, field('add_to_'), ref, k]);
          map[k] = stringArg(value, 'value');
        }),
    };
  }
  if (message.startsWith('remove_from_')) {
    return {
      params: ['self', 'key'],
      run: (ctx, [self, key]) =>
        mapChange(ctx.pool, cls, self, field('remove_from_'), name, (map) => {
          delete map[stringArg(key, 'key')];
        }),
    };
  }
  if (message.startsWith('add_') || message.startsWith('remove_')) {
    const adding = message.startsWith('add_');
    const f = field(adding ? 'add_' : 'remove_');
    if (f !== 'tags') return undefined;
    return {
      params: ['self', 'value'],
      run: (ctx, [self, value]) => {
        const ref = refArg(ctx.pool, cls, self);
        const v = stringArg(value, 'value');
        ctx.pool.db.update(cls, ref, (r) => {
          const set = (r[f] as string[]).filter((x) => x !== v);
          r[f] = adding ? [...set, v] : set;
        });
        return '';
      },
    };
  }
  return undefined;
}

function mapChange(
  pool: import('../model/xapi-pool.js').XapiPool,
  cls: XapiClassName,
  self: XapiValue | undefined,
  field: string,
  name: string,
  change: (map: Record<string, XapiValue>, ref: string) => void,
): XapiValue {
  const ref = refArg(pool, cls, self);
  const map = pool.db.get(cls, ref)[field];
  if (!isMap(map)) throw new XapiFailure('MESSAGE_METHOD_UNKNOWN', [name]);
  pool.db.update(cls, ref, (r) => change(r[field] as Record<string, XapiValue>, ref));
  return '';
}

/** Names of the generic accessors for every class, with field accessors taken from a live record. */
export function genericAccessorNames(sample: (cls: XapiClassName) => XapiRecord | undefined): string[] {
  const names: string[] = [];
  for (const cls of XAPI_CLASSES) {
    names.push(`${cls}.get_all`, `${cls}.get_all_records`, `${cls}.get_record`, `${cls}.get_by_uuid`);
    const record = sample(cls);
    if (record === undefined) continue;
    if ('name_label' in record) names.push(`${cls}.get_by_name_label`);
    for (const [f, v] of Object.entries(record)) {
      names.push(`${cls}.get_${f}`);
      if (WRITABLE_FIELDS.has(f)) names.push(`${cls}.set_${f}`);
      if (isMap(v)) names.push(`${cls}.add_to_${f}`, `${cls}.remove_from_${f}`);
    }
    if ('tags' in record) names.push(`${cls}.add_tags`, `${cls}.remove_tags`);
  }
  return names;
}
