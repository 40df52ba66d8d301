import type { TapirHooks } from '@tapir/sdk';
import { formatBytes } from './format.js';

/**
 * Shows a progress line on a terminal while a run works: items, bytes read, bytes stored, throughput.
 * Shows nothing when stderr is not a terminal or `--json` is set; cli-progress is loaded only to show it (13 ms).
 */
export async function showProgress(hooks: TapirHooks, enabled: boolean): Promise<() => void> {
  if (!enabled || !process.stderr.isTTY) return () => {};
  const { default: cliProgress } = await import('cli-progress');
  const started = Date.now();
  const bar = new cliProgress.SingleBar(
    {
      format: '{items} items  {read} read  {stored} stored  {rate}/s  {current}',
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(1, 0, { items: 0, read: '0 B', stored: '0 B', rate: '0 B', current: '' });
  hooks.progress.tap('tapir-cli', (e) => {
    const seconds = Math.max((Date.now() - started) / 1000, 0.001);
    const current = e.current ? (e.current.length > 50 ? `…${e.current.slice(-49)}` : e.current) : '';
    bar.update(0, {
      items: e.items,
      read: formatBytes(e.bytes),
      stored: formatBytes(e.storedBytes),
      rate: formatBytes(e.bytes / seconds),
      current,
    });
  });
  return () => bar.stop();
}
