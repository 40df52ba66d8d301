import { BaseCommand } from '../../cli/BaseCommand.js';

export default class ConfigValidate extends BaseCommand<typeof ConfigValidate> {
  static override summary =
    'Check the configuration against tapir and every installed plugin; print every problem with its path.';
  static override examples = [
    '<%= config.bin %> config validate',
    '<%= config.bin %> config validate --config ./tapir.yaml --json',
  ];

  async run() {
    const env = await this.environment(true);
    const jobs = Object.keys(env.config.jobs);
    this.log(
      `${env.configFile}: valid (${jobs.length} job${jobs.length === 1 ? '' : 's'}: ${jobs.join(', ') || 'none'})`,
    );
    return {
      valid: true,
      file: env.configFile,
      jobs,
      plugins: env.host.plugins.map((p) => ({
        name: p.name,
        version: p.version,
        package: p.packageName,
        type: p.type,
      })),
    };
  }
}
