/**
 * The item encoder of a save set ({@link ItemsPlan.itemEncoder}): the item hash and every transform, applied to an
 * item's whole data on whichever thread loads this module. A source that reads small items on a thread of its own
 * hands them over encoded, and the encoder's thread only frames the member (ADR 0015).
 */
import { randomUUID } from 'node:crypto';
import type { EncodedData, ItemEncoder, ItemEncoderSpec, ThreadEncoding, Transform } from '@tapir/sdk';
import { createItemDigest } from '../format/itemHashes.js';

/** The configuration an item encoder is made from; it crosses to other threads as it is. */
export interface ItemEncoderConfig {
  /** Names this save set's encoder: data made by another is not used. */
  id: string;
  /** The item hash (`blake3` or an OpenSSL name). */
  hash: string;
  /** The transforms' thread forms, in encode order. */
  transforms: ThreadEncoding[];
}

/**
 * The item encoder of a save set with these transforms (its spec for sources, and its id), or undefined when one of
 * them has no thread form.
 *
 * @remarks
 * The module is named in `dist/` from `src/` too: the thread that loads it runs plain Node.
 */
export function itemEncoderFor(
  hash: string,
  transforms: Transform[],
): { id: string; spec: ItemEncoderSpec } | undefined {
  const forms: ThreadEncoding[] = [];
  for (const t of transforms) {
    if (t.threadEncoding === undefined) return undefined;
    forms.push(t.threadEncoding);
  }
  const config: ItemEncoderConfig = { id: randomUUID(), hash, transforms: forms };
  return {
    id: config.id,
    spec: { module: new URL('../../dist/pipeline/itemEncoder.js', import.meta.url).href, config },
  };
}

/** Loads the transforms' thread forms and returns the encoder. Called on the thread that encodes. */
export async function createItemEncoder(config: ItemEncoderConfig): Promise<ItemEncoder> {
  const steps = await Promise.all(
    config.transforms.map(async (t) => {
      const module = (await import(t.module)) as {
        createChunkEncoder(params: unknown): (data: Uint8Array) => Uint8Array;
      };
      return module.createChunkEncoder(t.params);
    }),
  );
  return (data: Uint8Array): EncodedData => {
    const digest = createItemDigest(config.hash);
    digest.update(data);
    let encoded = data;
    for (const step of steps) encoded = step(encoded);
    return { encoder: config.id, hash: digest.digest(), size: data.byteLength, data: encoded };
  };
}
