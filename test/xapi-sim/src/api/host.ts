import { NULL_REF, newUuid } from '../model/opaque-ref.js';
import type { XapiRecord } from '../model/xapi-value.js';
import type { MethodGroup } from './method-table.js';

/** The product the simulated hosts claim to be. */
export const SOFTWARE_VERSION = {
  product_version: '8.2.1',
  product_brand: 'XCP-ng',
  platform_name: 'XCP',
  platform_version: '3.2.1',
  build_number: 'release/yangtze/master/58',
  xapi: '1.20',
  xapi_build: '1.20.0',
  hostname: 'xapi-sim',
  date: '2024-01-01',
};

/** A fresh `host` record. */
export function newHostRecord(nameLabel: string, address: string): XapiRecord {
  return {
    uuid: newUuid(),
    name_label: nameLabel,
    name_description: 'simulated host',
    hostname: nameLabel,
    address,
    enabled: true,
    API_version_major: 2,
    API_version_minor: 21,
    API_version_vendor: 'XenSource',
    API_version_vendor_implementation: {},
    software_version: { ...SOFTWARE_VERSION, hostname: nameLabel },
    allowed_operations: ['provision', 'evacuate', 'reboot', 'shutdown'],
    current_operations: {},
    resident_VMs: [],
    PBDs: [],
    PIFs: [],
    control_domain: NULL_REF,
    memory_overhead: 0,
    other_config: {},
    tags: [],
    license_params: {},
    cpu_info: { cpu_count: '4' },
    suspend_image_sr: NULL_REF,
    crash_dump_sr: NULL_REF,
    local_cache_sr: NULL_REF,
    metrics: NULL_REF,
    logging: {},
    ha_statefiles: [],
  };
}

/** `host.*` messages beyond the generic accessors. */
export const hostMethods: MethodGroup = {};
