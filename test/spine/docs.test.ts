import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Config } from '@oclif/core';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/cli.js';

describe('docs/cli.md', () => {
  it('lists every visible command tapir has, and none it does not', async () => {
    const config = await Config.load({ root: REPO });
    const commands = config.commands
      .filter((c) => !c.hidden && !c.id.startsWith('plugins'))
      .map((c) => c.id.replace(/:/g, ' '))
      .sort();
    const doc = await readFile(join(REPO, 'docs/cli.md'), 'utf8');
    const documented = [...doc.matchAll(/^\| `tapir ([a-z -]+?)(?: [<[][^`]*)?`\s*\|/gm)]
      .map((m) => m[1]!.trim())
      .sort();
    expect(documented).toEqual(commands);
  });
});
