import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCodes, pluginError, TapirError } from '../src/index.js';

describe('the error registry', () => {
  it('documents every code in docs/errors.md, and documents no code that does not exist', () => {
    const doc = readFileSync(join(import.meta.dirname, '../../docs/errors.md'), 'utf8');
    const documented = [...doc.matchAll(/^\| `(TAPIR_E_[A-Z_]+)`/gm)].map((m) => m[1]);
    expect(documented).toEqual(Object.keys(ErrorCodes));
  });

  it('keeps codes sorted, so additions land in one obvious place', () => {
    const codes = Object.keys(ErrorCodes);
    expect(codes).toEqual([...codes].sort());
  });

  it.each([
    {
      thrown: new Error('disk on fire'),
      code: 'TAPIR_E_PLUGIN_FAILED',
      message: '[disk] destination.write: disk on fire',
    },
    {
      thrown: Object.assign(new Error('nope'), { code: 'ENOSPC' }),
      code: 'TAPIR_E_PLUGIN_FAILED',
      pluginCode: 'ENOSPC',
    },
    { thrown: new TapirError('TAPIR_E_DESTINATION_UNAVAILABLE', 'full'), code: 'TAPIR_E_DESTINATION_UNAVAILABLE' },
    { thrown: 'a string', code: 'TAPIR_E_PLUGIN_FAILED', message: '[disk] destination.write: a string' },
  ])('names the plugin and the hook of $thrown', ({ thrown, code, message, pluginCode }) => {
    const error = pluginError('disk', 'destination.write', thrown);
    expect(error.code).toBe(code);
    expect(error.context).toMatchObject({
      plugin: 'disk',
      hook: 'destination.write',
      ...(pluginCode ? { pluginCode } : {}),
    });
    if (message) expect(error.message).toBe(message);
  });

  it('keeps the first attribution of an error that already names a plugin', () => {
    const inner = pluginError('files', 'source.read', new Error('EIO'));
    expect(pluginError('core', 'run', inner)).toBe(inner);
  });
});
