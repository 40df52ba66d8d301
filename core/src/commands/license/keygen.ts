import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/BaseCommand.js';
import { generateLicenseKeys } from '../../licensing/LicenseStore.js';

export default class LicenseKeygen extends BaseCommand<typeof LicenseKeygen> {
  static override hidden = true;
  static override summary = 'For vendors: make an Ed25519 key pair for signing licences of your distribution.';
  static override description =
    "Put the public key in your distribution's package.json under tapir.licenseKeys.<key-id>; keep the private key offline. See docs/licensing.md.";
  static override flags = {
    out: Flags.string({ description: 'directory to write license-public.pem and license-private.pem', required: true }),
  };

  async run() {
    const keys = generateLicenseKeys();
    await mkdir(this.flags.out, { recursive: true });
    await writeFile(join(this.flags.out, 'license-public.pem'), keys.publicKey);
    await writeFile(join(this.flags.out, 'license-private.pem'), keys.privateKey, { mode: 0o600 });
    this.log(`wrote ${join(this.flags.out, 'license-public.pem')} and license-private.pem (keep it secret)`);
    return { publicKey: keys.publicKey };
  }
}
