import { definePlugin } from '@tapir/sdk';
import { zstdTransformKind } from '../builtins/zstdTransform.js';
import { TAPIR_VERSION } from '../version.js';

/** What core itself provides through the same hooks as any plugin. */
export const corePlugin = definePlugin({
  name: 'core',
  version: TAPIR_VERSION,
  api: '^1',
  apply(hooks) {
    hooks.transforms.for('zstd').tap('core', () => zstdTransformKind);
  },
});
