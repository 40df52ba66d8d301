import { Command, Flags, type Interfaces } from '@oclif/core';
import { TapirError } from '@tapir/sdk';
import { type Environment, openEnvironment, pluginPackages } from './Environment.js';
import { ExitCode, exitCodeFor } from './exitCodes.js';
import { resolveConfigFile, resolveHome } from './home.js';

export type TapirFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof BaseCommand)['baseFlags'] & T['flags']
>;
export type TapirArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>;

/**
 * The base of every tapir command: global flags, `--json`, the environment (plugins, configuration, catalog),
 * cancellation on SIGINT/SIGTERM, and errors printed with their code and mapped to documented exit codes.
 */
export abstract class BaseCommand<T extends typeof Command> extends Command {
  static override enableJsonFlag = true;

  static override baseFlags = {
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

  protected flags!: TapirFlags<T>;
  protected args!: TapirArgs<T>;
  /** Every positional argument (for commands that take a variable number). */
  protected positionals: string[] = [];
  private env?: Environment;
  private readonly abort = new AbortController();

  public override async init(): Promise<void> {
    await super.init();
    const { args, flags, argv } = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (super.ctor as typeof BaseCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      args: this.ctor.args,
      strict: this.ctor.strict,
    });
    this.flags = flags as TapirFlags<T>;
    this.args = args as TapirArgs<T>;
    this.positionals = argv as string[];
    const stop = (signal: string) => {
      if (this.abort.signal.aborted) process.exit(ExitCode.INTERRUPTED);
      this.warn(`${signal}: stopping cleanly (press again to stop at once)`);
      this.abort.abort(new TapirError('TAPIR_E_ABORTED', `cancelled by ${signal}`));
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  }

  /** Cancelled on SIGINT/SIGTERM. */
  protected get signal(): AbortSignal {
    return this.abort.signal;
  }

  protected get home(): string {
    return resolveHome(this.flags.home);
  }

  /**
   * Loads plugins, configuration and catalog; closed automatically when the command ends. A command about to back up
   * names the source kinds it will open (`sourceKinds`), to give them their `prepare` hint early.
   */
  protected async environment(requireConfig = false, sourceKinds?: (raw: unknown) => string[]): Promise<Environment> {
    this.env ??= await openEnvironment({
      home: this.home,
      configFile: resolveConfigFile(this.home, this.flags.config),
      packages: pluginPackages(this.config),
      requireConfig,
      licenseKeys: (this.config.pjson as { tapir?: { licenseKeys?: Record<string, string> } }).tapir?.licenseKeys ?? {},
      ...(this.flags['log-level'] ? { logLevel: this.flags['log-level'] } : {}),
      ...(sourceKinds ? { sourceKinds } : {}),
    });
    return this.env;
  }

  /** Sets the exit code without stopping output (for results that are reports, like verify). */
  protected setExitCode(code: number): void {
    process.exitCode = code;
  }

  protected override async catch(error: Interfaces.CommandError): Promise<unknown> {
    if (!(error instanceof TapirError)) {
      if ((error as { oclif?: { exit?: number } }).oclif?.exit !== undefined || !(error instanceof Error))
        return super.catch(error);
    }
    const tapirError =
      error instanceof TapirError
        ? error
        : new TapirError('TAPIR_E_PLUGIN_FAILED', error.message, {}, { cause: error });
    const code = exitCodeFor(tapirError.code);
    this.env?.log.error({ err: tapirError.toJSON() }, tapirError.message);
    if (this.jsonEnabled()) {
      this.logJson({ error: tapirError.toJSON() });
    } else {
      process.stderr.write(`tapir: ${tapirError.message} [${tapirError.code}]\n`);
      const problems = tapirError.context.problems;
      if (Array.isArray(problems) && !tapirError.message.includes('\n')) {
        for (const p of problems as Array<{ path: string; message: string }>)
          process.stderr.write(`  ${p.path}: ${p.message}\n`);
      }
    }
    process.exitCode = code;
    return undefined;
  }

  protected override async finally(error: Error | undefined): Promise<unknown> {
    await this.env?.close().catch(() => {});
    return super.finally(error);
  }
}
