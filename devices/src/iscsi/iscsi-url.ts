import { TapirError } from '@tapir/sdk';

/** The parts of an `iscsi://host[:port][/target-iqn[/lun]]` address. */
export interface IscsiAddress {
  readonly host: string;
  readonly port: number;
  readonly targetName: string | undefined;
  readonly lun: number | undefined;
}

/**
 * Parses an iSCSI URL as libiscsi writes them: `iscsi://127.0.0.1:3261/iqn.2026-11.test:vtl/1`.
 * The port defaults to 3260. Throws `TAPIR_E_CONFIG_INVALID` for anything else.
 */
export function parseIscsiUrl(url: string): IscsiAddress {
  const m = /^iscsi:\/\/(\[[^\]]+\]|[^/:]+)(?::(\d+))?(?:\/([^/]+)(?:\/(\d+))?)?\/?$/.exec(url);
  if (!m)
    throw new TapirError(
      'TAPIR_E_CONFIG_INVALID',
      `not an iSCSI URL: ${url} (expected iscsi://host[:port]/target[/lun])`,
      { device: url },
    );
  const port = m[2] ? Number(m[2]) : 3260;
  if (port < 1 || port > 65535)
    throw new TapirError('TAPIR_E_CONFIG_INVALID', `port ${port} out of range in ${url}`, { device: url });
  return {
    host: m[1]!.replace(/^\[|\]$/g, ''),
    port,
    targetName: m[3] ? decodeURIComponent(m[3]) : undefined,
    lun: m[4] ? Number(m[4]) : undefined,
  };
}
