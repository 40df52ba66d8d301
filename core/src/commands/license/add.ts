import { readFile } from 'node:fs/promises';
import { Args } from '@oclif/core';
import { BaseCommand } from '../../cli/BaseCommand.js';
import { licenseStore } from '../../cli/licenses.js';

export default class LicenseAdd extends BaseCommand<typeof LicenseAdd> {
  static override summary = 'Verify a licence file and install it.';
  static override description =
    'A forged, altered, expired or foreign licence is refused with TAPIR_E_LICENSE_INVALID and nothing is installed.';
  static override examples = ['<%= config.bin %> license add ./acme-autoloader-8.json'];
  static override args = { file: Args.string({ description: 'licence file from the vendor', required: true }) };

  async run() {
    const store = licenseStore(this.config, this.home);
    const terms = await store.add(await readFile(this.args.file, 'utf8'), this.args.file);
    this.log(
      `installed licence ${terms.id} for ${terms.licensee}: ${Object.entries(terms.features)
        .map(([f, n]) => `${f}=${n}`)
        .join(', ')}`,
    );
    return { installed: terms, features: await store.features() };
  }
}
