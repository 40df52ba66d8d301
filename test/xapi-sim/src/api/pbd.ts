import { newUuid } from '../model/opaque-ref.js';
import type { XapiRecord } from '../model/xapi-value.js';

/** A fresh `PBD` record: the link saying that a host sees an SR. */
export function newPbdRecord(hostRef: string, srRef: string): XapiRecord {
  return {
    uuid: newUuid(),
    host: hostRef,
    SR: srRef,
    device_config: {},
    currently_attached: true,
    other_config: {},
  };
}
