import { newUuid } from '../model/opaque-ref.js';
import type { XapiRecord } from '../model/xapi-value.js';

/** A fresh `network` record. */
export function newNetworkRecord(nameLabel: string, bridge: string): XapiRecord {
  return {
    uuid: newUuid(),
    name_label: nameLabel,
    name_description: '',
    allowed_operations: [],
    current_operations: {},
    VIFs: [],
    PIFs: [],
    MTU: 1500,
    other_config: {},
    bridge,
    managed: true,
    blobs: {},
    tags: [],
    default_locking_mode: 'unlocked',
    assigned_ips: {},
    purpose: [],
  };
}
