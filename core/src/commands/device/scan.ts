import { Args } from '@oclif/core';
import { TapirError } from '@tapir/sdk';
import {
  ScsiStatus,
  describeSense,
  discoverTargets,
  inquiry,
  parseDeviceIdentification,
  parseInquiry,
  parseIscsiUrl,
  parseReportLuns,
  parseUnitSerialNumber,
  reportLuns,
  testUnitReady,
  type IscsiTransport,
} from '@tapir/devices';
import { BaseCommand } from '../../cli/BaseCommand.js';
import { DeviceSessions, connectionError, deviceTypeName, targetUrl } from '../../cli/devices.js';
import { table } from '../../cli/format.js';

/** One logical unit as scan reports it. */
interface ScannedUnit {
  lun: number;
  url: string;
  type: string;
  deviceType: number;
  qualifier: number;
  vendor?: string;
  product?: string;
  revision?: string;
  serial?: string;
  identifiers?: Array<{ type: string; association: string; value: string }>;
  /** TEST UNIT READY's sense, when not ready. */
  state?: string;
  error?: string;
}

const DESIGNATOR_TYPES: Record<number, string> = {
  0: 'vendor',
  1: 't10',
  2: 'eui64',
  3: 'naa',
  4: 'relative-port',
  5: 'port-group',
  6: 'lu-group',
  7: 'md5',
  8: 'scsi-name',
};
const ASSOCIATIONS = ['lun', 'port', 'target'];

export default class DeviceScan extends BaseCommand<typeof DeviceScan> {
  static override summary = 'Discover the iSCSI targets of a portal and list their logical units.';
  static override description = `Without a target in the URL, asks the portal for its targets (SendTargets discovery) and scans each.
For every LUN: peripheral type, vendor, product, revision, serial number (VPD 80h) and device identifiers (VPD 83h).
A configured device name scans that device's target.`;
  static override examples = [
    '<%= config.bin %> device scan iscsi://192.168.10.5',
    '<%= config.bin %> device scan iscsi://127.0.0.1:3261/iqn.2026-11.test:vtl --json',
    '<%= config.bin %> device scan lib1',
  ];
  static override args = {
    portal: Args.string({
      description: 'iscsi://host[:port][/target-iqn], or a configured device name',
      required: true,
    }),
  };

  async run() {
    const env = await this.environment();
    const sessions = new DeviceSessions(env.config);
    try {
      const configured = sessions.configured(this.args.portal);
      const url = configured ? targetUrl(configured.url) : this.args.portal;
      const address = parseIscsiUrl(url);
      let targets: string[];
      if (address.targetName) targets = [address.targetName];
      else {
        const found = await discoverTargets({ host: address.host, port: address.port }).catch((err: unknown) => {
          throw connectionError(url, err);
        });
        targets = found.map((t) => t.name);
        if (targets.length === 0)
          throw new TapirError('TAPIR_E_NOT_FOUND', `${url}: the portal offers no targets`, { device: url });
      }
      const results = [];
      for (const name of targets) {
        const target = targetUrl(
          `iscsi://${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}/${name}`,
        );
        const transport = await sessions.transport(target);
        results.push({ target: name, url: target, units: await scanTarget(transport, target) });
      }
      for (const t of results) {
        this.log(`${t.url}`);
        this.log(
          table([
            ['LUN', 'TYPE', 'VENDOR', 'PRODUCT', 'REV', 'SERIAL', 'STATE'],
            ...t.units.map((u) => [
              String(u.lun),
              u.type,
              u.vendor ?? '',
              u.product ?? '',
              u.revision ?? '',
              u.serial ?? '',
              u.error ?? u.state ?? 'ready',
            ]),
          ]),
        );
        for (const u of t.units)
          for (const id of u.identifiers ?? []) this.log(`  lun ${u.lun} ${id.association} ${id.type}: ${id.value}`);
      }
      return { portal: url, targets: results };
    } finally {
      await sessions.close();
    }
  }
}

async function scanTarget(transport: IscsiTransport, target: string): Promise<ScannedUnit[]> {
  const r = await transport.execute(0, reportLuns());
  const luns = r.status === ScsiStatus.GOOD ? parseReportLuns(r.data) : [0];
  const units: ScannedUnit[] = [];
  for (const lun of luns) {
    const url = `${target}/${lun}`;
    try {
      // The first command on each LUN of a new session gets UNIT ATTENTION (reset); TEST UNIT READY absorbs it.
      let state: string | undefined;
      for (let i = 0; i < 4; i++) {
        const tur = await transport.execute(lun, testUnitReady());
        state =
          tur.status === ScsiStatus.GOOD ? undefined : tur.sense ? describeSense(tur.sense) : `status ${tur.status}`;
        if (!tur.sense?.conditions.has('unit-attention')) break;
      }
      const inq = await transport.execute(lun, inquiry());
      if (inq.status !== ScsiStatus.GOOD) {
        units.push({
          lun,
          url,
          type: 'unknown',
          deviceType: -1,
          qualifier: -1,
          error: inq.sense ? describeSense(inq.sense) : `INQUIRY status ${inq.status}`,
        });
        continue;
      }
      const data = parseInquiry(inq.data);
      const unit: ScannedUnit = {
        lun,
        url,
        type: data.qualifier === 3 ? 'none' : deviceTypeName(data.deviceType),
        deviceType: data.deviceType,
        qualifier: data.qualifier,
        vendor: data.vendor,
        product: data.product,
        revision: data.revision,
      };
      const vpd80 = await transport.execute(lun, inquiry(0x80));
      if (vpd80.status === ScsiStatus.GOOD) unit.serial = attempt(() => parseUnitSerialNumber(vpd80.data));
      const vpd83 = await transport.execute(lun, inquiry(0x83));
      if (vpd83.status === ScsiStatus.GOOD)
        unit.identifiers = (attempt(() => parseDeviceIdentification(vpd83.data)) ?? []).map((d) => ({
          type: DESIGNATOR_TYPES[d.type] ?? `type ${d.type}`,
          association: ASSOCIATIONS[d.association] ?? String(d.association),
          value: d.text,
        }));
      if (state) unit.state = state;
      units.push(unit);
    } catch (err) {
      if ((err as { code?: string }).code !== 'TAPIR_E_DEVICE') throw err;
      units.push({ lun, url, type: 'unknown', deviceType: -1, qualifier: -1, error: (err as Error).message });
    }
  }
  return units;
}

function attempt<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}
