import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkPlugin, expectConformance } from '@tapir/sdk/testing';
import { describe, expect, it } from 'vitest';
import plugin from '../src/index.js';

describe('the conformance kit', () => {
  it('passes the syslog plugin, its package.json#tapir included', async () => {
    const manifest = JSON.parse(await readFile(join(import.meta.dirname, '../package.json'), 'utf8')).tapir;
    const checks = await expectConformance(plugin, { manifest });
    expect(checks.map((c) => c.name)).toContain('notifiers.syslog: names itself and has a schema that compiles');
  });

  it('would notice a package.json that does not declare the notifier', async () => {
    const checks = await checkPlugin(plugin, { manifest: { api: '^1', provides: {} } });
    expect(checks.filter((c) => !c.ok).map((c) => c.message)).toEqual(['notifiers: declares [], registers [syslog]']);
  });
});
