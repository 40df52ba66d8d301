import { readFile, writeFile } from 'node:fs/promises';
import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/BaseCommand.js';
import { signLicense } from '../../licensing/LicenseStore.js';

export default class LicenseIssue extends BaseCommand<typeof LicenseIssue> {
  static override hidden = true;
  static override summary = "For vendors: sign a licence with your distribution's private key.";
  static override examples = [
    '<%= config.bin %> license issue --key license-private.pem --key-id acme-1 --id ACME-0042 --licensee "Example Ltd" --feature autoloader.slots=8 --expires 2027-12-31 --out acme-0042.json',
  ];
  static override flags = {
    key: Flags.string({ description: 'Ed25519 private key (PEM)', required: true }),
    'key-id': Flags.string({
      description: 'the id of the matching public key in package.json#tapir.licenseKeys',
      required: true,
    }),
    id: Flags.string({ description: 'licence id', required: true }),
    licensee: Flags.string({ description: 'who the licence is for', required: true }),
    feature: Flags.string({
      description: 'feature=count (repeatable), e.g. autoloader.slots=8',
      multiple: true,
      required: true,
    }),
    expires: Flags.string({ description: 'expiry date (ISO 8601)' }),
    'not-before': Flags.string({ description: 'first valid date (ISO 8601)' }),
    out: Flags.string({ description: 'licence file to write', required: true }),
  };

  async run() {
    const features = Object.fromEntries(
      this.flags.feature.map((f) => {
        const [name, count] = f.split('=');
        if (!name || !count || !/^\d+$/.test(count)) this.error(`--feature ${f}: expected name=count`, { exit: 2 });
        return [name, Number(count)];
      }),
    );
    const license = signLicense(
      {
        id: this.flags.id,
        licensee: this.flags.licensee,
        keyId: this.flags['key-id'],
        issued: new Date().toISOString(),
        ...(this.flags.expires ? { expires: this.flags.expires } : {}),
        ...(this.flags['not-before'] ? { notBefore: this.flags['not-before'] } : {}),
        features,
      },
      await readFile(this.flags.key, 'utf8'),
    );
    await writeFile(this.flags.out, JSON.stringify(license, null, 2) + '\n');
    this.log(`wrote ${this.flags.out}`);
    return license;
  }
}
