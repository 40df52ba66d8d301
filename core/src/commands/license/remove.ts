import { Args } from '@oclif/core';
import { BaseCommand } from '../../cli/BaseCommand.js';
import { licenseStore } from '../../cli/licenses.js';

export default class LicenseRemove extends BaseCommand<typeof LicenseRemove> {
  static override summary = 'Remove an installed licence.';
  static override examples = ['<%= config.bin %> license remove ACME-2026-0042'];
  static override args = { id: Args.string({ description: 'licence id (see `tapir license show`)', required: true }) };

  async run() {
    const store = licenseStore(this.config, this.home);
    await store.remove(this.args.id);
    this.log(`removed licence ${this.args.id}`);
    return { removed: this.args.id, features: await store.features() };
  }
}
