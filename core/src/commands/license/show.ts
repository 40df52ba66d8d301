import { BaseCommand } from '../../cli/BaseCommand.js';
import { table } from '../../cli/format.js';
import { licenseStore } from '../../cli/licenses.js';
import { UNLICENSED } from '../../licensing/License.js';

export default class LicenseShow extends BaseCommand<typeof LicenseShow> {
  static override summary = 'Show installed licences and the feature counts in effect.';
  static override description =
    'Counts of valid licences add up; without any, the unlicensed defaults apply (e.g. 4 changer slots).';
  static override examples = ['<%= config.bin %> license show', '<%= config.bin %> license show --json'];

  async run() {
    const store = licenseStore(this.config, this.home);
    const licenses = await store.list();
    const features = await store.features();
    this.log(
      table([
        ['FEATURE', 'IN EFFECT', 'UNLICENSED DEFAULT'],
        ...Object.entries(features).map(([f, n]) => [f, String(n), String(UNLICENSED[f] ?? 0)]),
      ]),
    );
    if (licenses.length === 0) this.log('\nno licences installed');
    for (const l of licenses) {
      this.log(
        `\n${l.terms.id} (${l.terms.licensee}): ${l.valid ? 'valid' : `NOT VALID — ${l.problem}`}${l.terms.expires ? `, expires ${l.terms.expires}` : ''}`,
      );
    }
    return {
      features,
      licenses: licenses.map((l) => ({
        id: l.terms.id,
        licensee: l.terms.licensee,
        valid: l.valid,
        problem: l.problem,
        expires: l.terms.expires,
        features: l.terms.features,
      })),
    };
  }
}
