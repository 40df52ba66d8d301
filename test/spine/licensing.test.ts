import { readFile, mkdir, symlink, writeFile, copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, REPO, runScript, scratch, type CliResult } from '../helpers/cli.js';

/**
 * A vendor distribution, built as a vendor would: its own package (name, bin, oclif config) that depends on tapir's
 * packages and ships its own licence key in package.json#tapir.licenseKeys.
 */
async function makeVendorDistribution(dir: string, publicKey: string): Promise<string> {
  await mkdir(join(dir, 'bin'), { recursive: true });
  await writeFile(
    join(dir, 'package.json'),
    JSON.stringify({
      name: 'acme-backup',
      version: '1.0.0',
      type: 'module',
      bin: { acme: './bin/run.js' },
      dependencies: {
        '@oclif/core': '*',
        '@oclif/plugin-help': '*',
        '@tapir/core': '*',
        '@tapir/plugin-files': '*',
        '@tapir/plugin-disk': '*',
      },
      oclif: {
        bin: 'acme',
        dirname: 'acme',
        topicSeparator: ' ',
        plugins: ['@oclif/plugin-help', '@tapir/core', '@tapir/plugin-*'],
      },
      tapir: { licenseKeys: { 'acme-1': publicKey } },
    }),
  );
  await copyFile(join(REPO, 'bin/run.js'), join(dir, 'bin/run.js'));
  await symlink(join(REPO, 'node_modules'), join(dir, 'node_modules'));
  return join(dir, 'bin/run.js');
}

describe("licences: Ed25519-signed, verified against the distribution's keys", () => {
  let s: Awaited<ReturnType<typeof scratch>>;
  let acme: (args: string[]) => Promise<CliResult>;
  const keys = () => join(s.dir, 'keys');
  const issue = async (name: string, extra: string[], key = join(keys(), 'license-private.pem'), keyId = 'acme-1') => {
    const out = join(s.dir, `${name}.json`);
    const r = await cli(
      [
        'license',
        'issue',
        '--key',
        key,
        '--key-id',
        keyId,
        '--id',
        name,
        '--licensee',
        'Example Ltd',
        '--out',
        out,
        ...extra,
      ],
      { home: s.home },
    );
    expect(r.code).toBe(0);
    return out;
  };

  beforeAll(async () => {
    s = await scratch();
    expect((await cli(['license', 'keygen', '--out', keys()], { home: s.home })).code).toBe(0);
    expect((await cli(['license', 'keygen', '--out', join(s.dir, 'other-keys')], { home: s.home })).code).toBe(0);
    const bin = await makeVendorDistribution(
      join(s.dir, 'acme'),
      await readFile(join(keys(), 'license-public.pem'), 'utf8'),
    );
    acme = (args) => runScript(bin, [...args, '--json'], { TAPIR_HOME: join(s.dir, 'acme-home') });
  });
  afterAll(() => s.dispose());

  it('without a licence, the unlicensed defaults apply', async () => {
    const r = await acme(['license', 'show']);
    expect(r.code).toBe(0);
    expect(r.json.features['autoloader.slots']).toBe(4);
    expect(r.json.licenses).toEqual([]);
  });

  it("a licence signed with the distribution's key is installed, and counts add up", async () => {
    const eight = await issue('ACME-0001', ['--feature', 'autoloader.slots=8', '--feature', 'clients=5']);
    const r = await acme(['license', 'add', eight]);
    expect(r.code).toBe(0);
    expect(r.json.features).toMatchObject({ 'autoloader.slots': 8, clients: 5 });
    await acme([
      'license',
      'add',
      await issue('ACME-0002', ['--feature', 'autoloader.slots=4', '--expires', '2099-01-01']),
    ]);
    expect((await acme(['license', 'show'])).json.features['autoloader.slots']).toBe(12);
    expect((await acme(['license', 'remove', 'ACME-0002'])).json.features['autoloader.slots']).toBe(8);
  });

  it.each([
    { case: 'forged (another key, claiming the distribution key id)', problem: 'signature does not match' },
    { case: 'altered after signing', problem: 'signature does not match' },
    { case: 'expired', problem: 'expired on 2020-01-01' },
    { case: 'signed by a key the distribution does not trust', problem: 'does not trust' },
  ])('a licence that is $case is refused and nothing is installed', async ({ case: kind, problem }) => {
    let file: string;
    if (kind.startsWith('forged'))
      file = await issue(
        'FORGED',
        ['--feature', 'autoloader.slots=800'],
        join(s.dir, 'other-keys/license-private.pem'),
      );
    else if (kind.startsWith('expired'))
      file = await issue('OLD', ['--feature', 'autoloader.slots=16', '--expires', '2020-01-01']);
    else if (kind.startsWith('signed by'))
      file = await issue(
        'FOREIGN',
        ['--feature', 'autoloader.slots=16'],
        join(s.dir, 'other-keys/license-private.pem'),
        'other-1',
      );
    else {
      file = await issue('ALTERED', ['--feature', 'autoloader.slots=8']);
      const text = await readFile(file, 'utf8');
      await writeFile(file, text.replace('"autoloader.slots": 8', '"autoloader.slots": 80'));
      expect(await readFile(file, 'utf8')).toContain('80');
    }
    const before = (await acme(['license', 'show'])).json;
    const r = await acme(['license', 'add', file]);
    expect(r.code).toBe(3);
    expect(r.json.error.code).toBe('TAPIR_E_LICENSE_INVALID');
    expect(r.json.error.message).toContain(problem);
    expect((await acme(['license', 'show'])).json).toEqual(before);
  });

  it("tapir's own distribution does not trust a vendor's licences", async () => {
    const file = await issue('ACME-0003', ['--feature', 'autoloader.slots=8']);
    const r = await cli(['license', 'add', file, '--json'], { home: s.home });
    expect(r.code).toBe(3);
    expect(r.json.error.message).toContain('signed with key "acme-1", which this distribution does not trust');
  });
});
