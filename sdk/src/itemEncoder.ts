import type { ItemEncoder, ItemEncoderSpec } from './types/encoding.js';

/**
 * Loads the item encoder that `spec` names, on the calling thread (a source's own worker thread, typically). See
 * {@link ItemsPlan.itemEncoder}.
 */
export async function loadItemEncoder(spec: ItemEncoderSpec): Promise<ItemEncoder> {
  const module = (await import(spec.module)) as {
    createItemEncoder(config: unknown): ItemEncoder | Promise<ItemEncoder>;
  };
  return module.createItemEncoder(spec.config);
}
