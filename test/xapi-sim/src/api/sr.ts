import { NULL_REF, newUuid } from '../model/opaque-ref.js';
import type { XapiRecord } from '../model/xapi-value.js';
import type { MethodGroup } from './method-table.js';

/** A fresh `SR` record. */
export function newSrRecord(fields: {
  name_label: string;
  type: string;
  shared: boolean;
  physical_size: number;
}): XapiRecord {
  return {
    uuid: newUuid(),
    name_label: fields.name_label,
    name_description: '',
    allowed_operations: [
      'vdi_create',
      'vdi_destroy',
      'vdi_snapshot',
      'vdi_clone',
      'vdi_enable_cbt',
      'vdi_disable_cbt',
      'vdi_data_destroy',
      'vdi_list_changed_blocks',
    ],
    current_operations: {},
    VDIs: [],
    PBDs: [],
    virtual_allocation: 0,
    physical_utilisation: 0,
    physical_size: fields.physical_size,
    type: fields.type,
    content_type: 'user',
    shared: fields.shared,
    other_config: {},
    tags: [],
    sm_config: {},
    blobs: {},
    local_cache_enabled: false,
    introduced_by: NULL_REF,
    clustered: false,
    is_tools_sr: false,
  };
}

/** `SR.*` messages beyond the generic accessors. */
export const srMethods: MethodGroup = {};
