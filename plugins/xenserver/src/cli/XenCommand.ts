import { Command, Flags, type Interfaces } from '@oclif/core';
import { TapirError } from '@tapir/sdk';
import { XapiConnection } from '../XapiConnection.js';

/** The environment variable `--password` falls back to, so the password need not be on the command line. */
export const PASSWORD_ENV = 'TAPIR_XEN_PASSWORD';

/**
 * The base of the `tapir xen …` commands: pool flags, `--json`, and errors printed as tapir prints them (message
 * and code, exit code 1). Plugin commands do not import tapir's core, so this mirrors its conventions.
 */
export abstract class XenCommand extends Command {
  static override enableJsonFlag = true;

  static override baseFlags = {
    url: Flags.string({
      description: 'any pool member, e.g. https://xen1.example.com (the master is followed)',
      env: 'TAPIR_XEN_URL',
      required: true,
      helpGroup: 'POOL',
    }),
    username: Flags.string({ description: 'XAPI user', default: 'root', helpGroup: 'POOL' }),
    password: Flags.string({
      description: `XAPI password [env: ${PASSWORD_ENV}] (prefer the variable: arguments show in ps)`,
      helpGroup: 'POOL',
    }),
    'reject-unauthorized': Flags.boolean({
      description: 'refuse self-signed TLS certificates (accepted by default, as XenServer ships them)',
      default: false,
      helpGroup: 'POOL',
    }),
  };

  /** Logs in to the pool named by the flags. The caller closes the connection. */
  protected async connect(flags: Interfaces.InferredFlags<(typeof XenCommand)['baseFlags']>): Promise<XapiConnection> {
    const password = flags.password ?? process.env[PASSWORD_ENV];
    if (password === undefined || password === '') {
      throw new TapirError('TAPIR_E_CONFIG_INVALID', `no XAPI password: give --password or set ${PASSWORD_ENV}`, {
        option: 'password',
      });
    }
    return XapiConnection.open(
      {
        url: flags.url,
        username: flags.username,
        password,
        allowUnauthorized: !flags['reject-unauthorized'],
        connectTimeoutMs: 30_000,
      },
      'TAPIR_E_SOURCE_UNAVAILABLE',
    );
  }

  protected override async catch(error: Interfaces.CommandError): Promise<unknown> {
    // oclif's own errors (unknown flag, missing argument) keep oclif's message and exit code.
    if (!(error instanceof TapirError)) {
      if ((error as { oclif?: { exit?: number } }).oclif?.exit !== undefined || !(error instanceof Error))
        return super.catch(error);
    }
    const tapirError =
      error instanceof TapirError
        ? error
        : new TapirError('TAPIR_E_PLUGIN_FAILED', error.message, { plugin: 'xenserver' });
    if (this.jsonEnabled()) this.logJson({ error: tapirError.toJSON() });
    else process.stderr.write(`tapir: ${tapirError.message} [${tapirError.code}]\n`);
    process.exitCode = 1;
    return undefined;
  }
}
