/**
 * A drive that asks for cleaning during a tape job: the proxy in front of tgt (test/tgt/senseProxy.ts) answers one
 * WRITE(6) with RECOVERED ERROR 00/17. The job must finish with every byte, tell the notifiers (a `cleaning` media
 * event), clean the drive with the cleaning cartridge once the tape is unloaded, and put the cartridge back.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { IscsiTransport, MediaChanger } from '@tapir/devices';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { fixedSense, startSenseProxy, type SenseProxy } from '../../../test/tgt/senseProxy.js';
import { snapshot } from '../../../test/helpers/tree.js';
import { cli, REPO } from '../../../test/helpers/cli.js';
import { startTapeBed, type TapeBed } from './support.js';

let bed: TapeBed;
let proxy: SenseProxy;
let data: string;
/** The oclif data and cache directories of this test: the linked notifier plugin stays here. */
let env: Record<string, string>;
/** The CLI with this bed's home and configuration, and the linked plugin. */
const tapir = (...args: string[]) => cli([...args, '--config', bed.config], { home: bed.home, env });

/** Moves tapes with a private session (as an operator would at the library's panel). */
async function move(...moves: Array<[number, number]>): Promise<void> {
  const transport = await IscsiTransport.connect(bed.vtl.url);
  try {
    const changer = await MediaChanger.open(transport, bed.vtl.changerLun);
    for (const [from, to] of moves) await changer.move(from, to);
  } finally {
    await transport.close();
  }
}

beforeAll(async () => {
  bed = await startTapeBed({});
  // The 10th WRITE(6) through the proxy: the label is the first, so this one is in the middle of the save set.
  proxy = await startSenseProxy(
    { host: bed.vtl.host, port: bed.vtl.port },
    { opcode: 0x0a, occurrences: [10], sense: fixedSense(0x01, 0x00, 0x17) },
  );
  // The cleaning cartridge into a licensed slot: TAPE0004L6 out to the empty slot 17, CLN001L1 from 16 into 13.
  await move([13, 17], [16, 13]);
  // A third-party notifier, linked as an operator would install it: the job's media events must reach it.
  env = { TAPIR_DATA_DIR: join(bed.dir, 'oclif-data'), TAPIR_CACHE_DIR: join(bed.dir, 'oclif-cache') };
  const fixture = join(REPO, 'test/fixtures/tapir-plugin-eventlog');
  const linked = await cli(['plugins', 'link', '--no-install', fixture], { home: bed.home, env });
  expect(linked.code, linked.stderr).toBe(0);
  data = join(bed.dir, 'data');
  await mkdir(data);
  for (let i = 0; i < 8; i++) await writeFile(join(data, `f${i}.bin`), randomBytes(1024 * 1024));
  await bed.configure(
    [
      '  nightly:',
      `    sources: [ { kind: files, paths: [${data}] } ]`,
      '    destination: tapes',
      '    level: full',
      `    notifiers: [ { kind: eventlog, path: ${join(bed.dir, 'events.jsonl')} } ]`,
    ].join('\n'),
    '',
    proxy.url(bed.vtl.targetName),
  );
}, 120_000);

afterAll(async () => {
  await proxy?.close();
  await bed?.stop();
});

it('finishes the job, reports the request, cleans the drive with the cleaning cartridge and puts it back', async () => {
  const r = await tapir('job', 'run', 'nightly', '--json');
  expect(r.code, r.stderr + r.stdout).toBe(0);
  expect(proxy.injected()).toBe(1);
  // The job's notifier heard the run and every media event, in order.
  const heard = (await readFile(join(bed.dir, 'events.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; event?: string; medium?: string });
  expect(heard.map((e) => (e.type === 'media' ? `media ${e.event} ${e.medium ?? '-'}` : e.type))).toEqual([
    'start',
    'media labelled TAPE0001L6',
    'media cleaning -',
    'saveSetEnd',
    // The tape stays loaded until the run closes the destination; then the drive is cleaned.
    'media cleaning CLN001L1',
    'end',
  ]);
  const events = (await bed.log()).filter((l) => l.media?.event === 'cleaning').map((l) => l.media.message as string);
  expect(events).toHaveLength(2);
  expect(events[0]).toMatch(/^drive [12] of .* asks for cleaning \(sense 00\/17 on WRITE\(6\)\); it is cleaned when/);
  expect(events[1]).toMatch(/^drive [12] of .* was cleaned with CLN001L1$/);
  const show = await tapir('media', 'show', 'CLN001L1', '--json');
  expect(show.json.medium).toMatchObject({ state: 'cleaning', files: 1, location: 'slot 13' });
  // The cartridge is back in its slot, the drives are empty, and it was never written: no label on it.
  const transport = await IscsiTransport.connect(bed.vtl.url);
  try {
    const inv = await (await MediaChanger.open(transport, bed.vtl.changerLun)).inventory();
    expect(inv.slots.find((s) => s.address === 13)).toMatchObject({ full: true, barcode: 'CLN001L1' });
    expect(inv.drives.every((d) => !d.full)).toBe(true);
  } finally {
    await transport.close();
  }
  expect((await bed.vtl.show('CLN001L1')).filter((e) => e.kind === 'data')).toHaveLength(0);
  const target = join(bed.dir, 'restore');
  const restored = await tapir('restore', r.json.saveSets[0].saveSet, '--to', target, '--json');
  expect(restored.code, restored.stderr + restored.stdout).toBe(0);
  expect(await snapshot(join(target, data.slice(1)))).toEqual(await snapshot(data));
});
