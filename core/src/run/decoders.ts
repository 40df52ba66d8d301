import type { ChunkPipe } from '@tapir/sdk';
import type { SaveSetHeader } from '../format/saveSetFormat.js';
import type { PluginHost } from '../host/PluginHost.js';

/** The decoding pipe for a save set: its transforms undone in reverse stage order. */
export function decoderFor(host: PluginHost, header: SaveSetHeader): ChunkPipe {
  const pipes = [...header.transforms]
    .sort((a, b) => b.stage - a.stage)
    .map((descriptor) => host.require('transforms', descriptor.kind).value.decoder(descriptor));
  return (input) => pipes.reduce((acc, pipe) => pipe(acc), input);
}
