import type { RunContext } from '@tapir/sdk';
import { listPoolVms } from './poolVms.js';
import type { XenServerSourceOptions } from './schema.js';
import { XapiConnection } from './XapiConnection.js';

/**
 * Splits a source that selects several VMs (`vms`, `tags`, `pool`) into one source per VM, each naming its VM by
 * UUID: one save set per VM. Only real VMs are selected, never templates, snapshots or control domains.
 *
 * @remarks
 * `vms` alone is split without logging in (an unknown name then fails that VM's save set, not the others). With
 * `tags` or `pool`, the pool is asked once: the VMs carrying any of the tags, or all of them, together with those
 * `vms` names, each once, by name.
 */
export async function expandVmSelection(
  options: XenServerSourceOptions,
  ctx: RunContext,
): Promise<XenServerSourceOptions[]> {
  const { vm, vms, tags, pool, ...rest } = options;
  if (vm !== undefined) return [{ ...rest, vm }];
  if (tags === undefined && pool !== true) return (vms ?? []).map((name) => ({ ...rest, vm: name }));

  const conn = await XapiConnection.open(options, 'TAPIR_E_SOURCE_UNAVAILABLE');
  let all;
  try {
    all = await listPoolVms(conn);
  } finally {
    await conn.close();
  }
  const wanted = new Set(tags ?? []);
  const named = new Set(vms ?? []);
  const selected: string[] = [];
  const found = new Set<string>();
  for (const candidate of all) {
    const byName = named.has(candidate.uuid) || named.has(candidate.name);
    if (byName) found.add(named.has(candidate.uuid) ? candidate.uuid : candidate.name);
    if (pool === true || byName || candidate.tags.some((tag) => wanted.has(tag))) selected.push(candidate.uuid);
  }
  // A name the pool does not know stays in the list: its own save set fails with TAPIR_E_NOT_FOUND, saying so.
  const unknown = [...named].filter((name) => !found.has(name));
  const selection = [...selected, ...unknown];
  const what =
    pool === true
      ? 'the whole pool'
      : `tags ${[...wanted].join(', ')}${named.size ? ` and ${named.size} named VM(s)` : ''}`;
  if (selection.length === 0) {
    const message =
      pool === true
        ? `the pool at ${conn.url} has no VM: nothing to back up`
        : `no VM of the pool at ${conn.url} carries the tags ${[...wanted].join(', ')}: nothing to back up`;
    ctx.log.warn({ tags: [...wanted] }, message);
    ctx.warn({ code: 'XEN_NO_VM_SELECTED', message });
  } else {
    ctx.log.info({ vms: selection }, `selected ${selection.length} VM(s) by ${what}`);
  }
  return selection.map((key) => ({ ...rest, vm: key }));
}
