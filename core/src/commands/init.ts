import { access, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/BaseCommand.js';
import { resolveConfigFile } from '../cli/home.js';

/** The example configuration `tapir init` writes. */
export function exampleConfig(home: string): string {
  return `# tapir configuration. Check it with \`tapir config validate\`; run a job with \`tapir job run <name>\`.
version: 1

# Where save sets go. A job names one of these, or gives its own inline.
destinations:
  local:
    kind: disk
    path: ${join(home, 'backups')}

jobs:
  home:
    sources:
      - kind: files
        paths: [${process.env.HOME ?? '/home'}]
        exclude: ['.cache', '*.tmp', 'node_modules']
    destination: local
    # incremental: store only what changed since the last complete run (a full when there is none)
    level: incremental
    transforms:
      - kind: zstd
        level: 3
`;
}

export default class Init extends BaseCommand<typeof Init> {
  static override summary = 'Create the tapir home directory, its catalog and an example configuration.';
  static override examples = ['<%= config.bin %> init', '<%= config.bin %> init --home /var/lib/tapir'];
  static override flags = {
    force: Flags.boolean({ description: 'replace an existing configuration file', default: false }),
  };

  async run() {
    const home = this.home;
    await mkdir(join(home, 'backups'), { recursive: true });
    const configFile = resolveConfigFile(home, this.flags.config);
    const exists = await access(configFile).then(
      () => true,
      () => false,
    );
    if (!exists || this.flags.force) await writeFile(configFile, exampleConfig(home), { mode: 0o600 });
    const env = await this.environment(true);
    this.log(`tapir home: ${home}`);
    this.log(
      `configuration: ${configFile}${exists && !this.flags.force ? ' (kept; --force replaces it)' : ' (example written)'}`,
    );
    this.log(`catalog: ${env.catalog.path}`);
    this.log(`plugins: ${env.host.plugins.map((p) => p.name).join(', ')}`);
    return { home, configFile, catalog: env.catalog.path, configWritten: !exists || this.flags.force };
  }
}
