/**
 * `tapir tape …` as a real process against a private tgt VTL: write-test / read-test checked against the tape image
 * (`tgtimg --op show`), rewind and end of data.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, scratch } from '../helpers/cli.js';
import { startVtl, type Vtl } from '../tgt/vtl.js';

let vtl: Vtl;
let work: Awaited<ReturnType<typeof scratch>>;
let config: string;

const tapir = (...args: string[]) => cli([...args, '--config', config], { home: work.home });

beforeAll(async () => {
  vtl = await startVtl();
  work = await scratch('tapir-tape-cli-');
  await mkdir(work.home, { recursive: true });
  config = join(work.dir, 'tapir.yaml');
  await writeFile(
    config,
    [
      'version: 1',
      'devices:',
      '  lib1:',
      '    kind: iscsi-changer',
      `    url: ${vtl.url}/${vtl.changerLun}`,
      '  drive1:',
      '    kind: iscsi-tape',
      `    url: ${vtl.url}/1`,
      '',
    ].join('\n'),
  );
  const r = await tapir('device', 'load', 'TAPE0005L6', '--drive', 'drive:1');
  expect(r.code, r.stderr).toBe(0);
});

afterAll(async () => {
  await vtl?.stop();
  await work?.dispose();
});

describe('tapir tape', () => {
  it('write-test refuses to run without --force and leaves the tape untouched', async () => {
    const r = await tapir('tape', 'write-test', 'drive1');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--force');
    expect((await vtl.show('TAPE0005L6')).filter((e) => e.kind === 'data')).toEqual([]);
  });

  it('read-test on a blank tape says it holds no test data', async () => {
    const r = await tapir('tape', 'read-test', 'drive1');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('holds no write-test data');
  });

  it('write-test writes N blocks and a filemark; read-test reads them back identical', async () => {
    const w = await tapir(
      'tape',
      'write-test',
      'drive1',
      '--force',
      '--blocks',
      '40',
      '--block-size',
      '65536',
      '--json',
    );
    expect(w.code, w.stderr).toBe(0);
    expect(w.json).toMatchObject({
      blocks: 40,
      blockSize: 65536,
      bytes: 40 * 65536,
      barcode: 'TAPE0005L6',
      earlyWarning: false,
    });
    const image = await vtl.show('TAPE0005L6');
    expect(image.filter((e) => e.kind === 'data').map((e) => e.size)).toEqual(Array(40).fill(65536));
    expect(image.filter((e) => e.kind === 'filemark')).toHaveLength(1);

    const r = await tapir('tape', 'read-test', 'drive1', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ ok: true, blocks: 40, blockSize: 65536, bytes: 40 * 65536, bad: [] });
  });

  it('eod counts the files, rewind goes back to the start', async () => {
    let r = await tapir('tape', 'eod', 'drive1', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({
      filemarks: 1,
      trailingData: false,
      position: { file: 1, block: 0, atEndOfData: true },
    });
    r = await tapir('tape', 'rewind', 'lib1/drive:1', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.position).toEqual({ file: 0, block: 0, atEndOfData: false });
  });

  it('a drive without a tape gives TAPIR_E_NO_MEDIUM naming the drive', async () => {
    const r = await tapir('tape', 'rewind', `${vtl.url}/2`, '--json');
    expect(r.code).toBe(1);
    expect(r.json.error.code).toBe('TAPIR_E_NO_MEDIUM');
    expect(r.json.error.message).toContain(`${vtl.url}/2`);
  });

  it('every command has --help with examples', async () => {
    for (const cmd of ['rewind', 'eod', 'write-test', 'read-test']) {
      const r = await cli(['tape', cmd, '--help'], { home: work.home });
      expect(r.code, cmd).toBe(0);
      expect(r.stdout, cmd).toContain('EXAMPLES');
    }
  });
});
