import { Command, Flags, type Interfaces } from '@oclif/core';
import { TapirError } from '@tapir/sdk';
import { XapiConnection, type XapiCredentials } from '../XapiConnection.js';
import { runTapirRestore, type TapirRestoreOutcome } from './tapirRestore.js';

/**
 * tapir's global flags, for the xen commands that run tapir's restore (which reads the catalog in the home and
 * the configuration): passed through unchanged.
 */
export const tapirFlags = {
  home: Flags.string({
    description: 'tapir home directory (catalog, configuration, logs) [env: TAPIR_HOME, default: ~/.tapir]',
    helpGroup: 'GLOBAL',
  }),
  config: Flags.string({
    description: 'configuration file [env: TAPIR_CONFIG, default: <home>/tapir.yaml]',
    helpGroup: 'GLOBAL',
  }),
  'log-level': Flags.option({
    options: ['debug', 'info', 'warn', 'error'] as const,
    description: 'level of <home>/logs/tapir.log',
    helpGroup: 'GLOBAL',
  })(),
};

/** The pool flags every `tapir xen` command has, parsed. */
type PoolFlags = Interfaces.InferredFlags<(typeof XenCommand)['baseFlags']>;
/** {@link tapirFlags}, parsed. */
type TapirFlags = Interfaces.InferredFlags<typeof tapirFlags>;

/** The exit codes of the xen commands that restore, for their help. */
export const RESTORE_EXIT_CODES = `Exit codes: 0 done · 1 failed (the pool refused, a health check failed, an item could not be written) · 2 wrong flags or arguments · 3 invalid configuration · 4 damaged items in the save set (left out) · 130 cancelled.`;

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

  /** The password from `--password` or {@link PASSWORD_ENV}. */
  protected password(flags: { password?: string | undefined }): string {
    const password = flags.password ?? process.env[PASSWORD_ENV];
    if (password === undefined || password === '') {
      throw new TapirError('TAPIR_E_CONFIG_INVALID', `no XAPI password: give --password or set ${PASSWORD_ENV}`, {
        option: 'password',
      });
    }
    return password;
  }

  /** Where and how to log in, from the pool flags. */
  protected credentials(flags: PoolFlags): XapiCredentials {
    return {
      url: flags.url,
      username: flags.username,
      password: this.password(flags),
      allowUnauthorized: !flags['reject-unauthorized'],
    };
  }

  /** Logs in to the pool named by the flags. The caller closes the connection. */
  protected async connect(flags: PoolFlags): Promise<XapiConnection> {
    return XapiConnection.open({ ...this.credentials(flags), connectTimeoutMs: 30_000 }, 'TAPIR_E_SOURCE_UNAVAILABLE');
  }

  /**
   * Runs tapir's restore of `saveSet` into the xenserver target on the pool the flags name, with the target's
   * `options`; prints tapir's error document when it failed under `--json`.
   */
  protected async restoreToPool(
    saveSet: string,
    flags: PoolFlags & TapirFlags,
    options: Record<string, string | number | boolean | undefined>,
  ): Promise<TapirRestoreOutcome> {
    const outcome = await runTapirRestore(
      this.config,
      saveSet,
      { ...this.credentials(flags), ...options },
      { json: this.jsonEnabled(), home: flags.home, config: flags.config, logLevel: flags['log-level'] },
    );
    if (outcome.errorJson !== undefined) this.logJson(outcome.errorJson);
    return outcome;
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
