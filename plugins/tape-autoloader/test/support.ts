/** A private tgt VTL, a scratch tapir home and a configuration with a `tape` destination, for the CLI tests. */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cli, scratch, type CliResult } from '../../../test/helpers/cli.js';
import { startVtl, type Vtl, type VtlOptions } from '../../../test/tgt/vtl.js';

export interface TapeBed {
  vtl: Vtl;
  dir: string;
  home: string;
  config: string;
  /** Runs the CLI with this bed's home and configuration. */
  tapir(...args: string[]): Promise<CliResult>;
  /** The JSON log lines of the tapir home. */
  log(): Promise<Array<Record<string, any>>>;
  /**
   * Writes the configuration: the `tapes` destination plus the given jobs (YAML text under `jobs:`); `changerUrl`
   * replaces the VTL's URL (a proxy in front of it).
   */
  configure(jobs: string, destination?: string, changerUrl?: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startTapeBed(options: VtlOptions): Promise<TapeBed> {
  const vtl = await startVtl(options);
  const s = await scratch('tapir-tape-');
  await mkdir(s.home, { recursive: true });
  const config = join(s.dir, 'tapir.yaml');
  const bed: TapeBed = {
    vtl,
    dir: s.dir,
    home: s.home,
    config,
    tapir: (...args) => cli([...args, '--config', config], { home: s.home }),
    async log() {
      const text = await readFile(join(s.home, 'logs', 'tapir.log'), 'utf8').catch(() => '');
      return text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, any>);
    },
    async configure(jobs, destination = '', changerUrl = vtl.url) {
      await writeFile(
        config,
        [
          'version: 1',
          'destinations:',
          '  tapes:',
          '    kind: tape',
          `    changer: { url: ${changerUrl}, lun: ${vtl.changerLun}, drives: { '1': { lun: 1 }, '2': { lun: 2 } } }`,
          '    pool: default',
          '    blockSize: 262144',
          '    reserveTimeoutSeconds: 20',
          destination,
          'jobs:',
          jobs,
          '',
        ].join('\n'),
      );
    },
    async stop() {
      await vtl.stop();
      await s.dispose();
    },
  };
  return bed;
}
