/**
 * A private tgt virtual tape library for tests: one tgtd on a free loopback port, its tapes in a temporary directory.
 *
 * Layout (element addresses): drives 1–2 (LUNs 1–2), picker 5, import/export slot 8, storage slots 10–17.
 * Slots 10–15 hold data tapes TAPE0001L6…TAPE0006L6, slot 16 the cleaning tape CLN001L1, slot 17 is empty.
 * The changer is LUN 3. Nothing is killed by name: tgtd is stopped through tgtadm, then by its pid.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A tape the library holds at start. */
export interface VtlTape {
  readonly barcode: string;
  readonly kind: 'data' | 'clean';
  /** The storage slot it starts in. */
  readonly slot: number;
}

/** Options for {@link startVtl}. */
export interface VtlOptions {
  /** Capacity of each data tape in MB (tgt raises early warning past it). Default 256. */
  readonly tapeSizeMb?: number;
  /** Per-barcode capacities overriding `tapeSizeMb`. */
  readonly tapeSizes?: Readonly<Record<string, number>>;
}

/** One entry of `tgtimg --op show`: a data block, a filemark or the end of data. */
export interface TapeImageEntry {
  readonly kind: 'data' | 'filemark' | 'eod';
  readonly blockNumber: number;
  /** Data bytes in a data block. */
  readonly size: number;
}

/** A running private VTL. */
export interface Vtl {
  readonly dir: string;
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly controlPort: number;
  readonly targetName: string;
  /** `iscsi://127.0.0.1:<port>/<target>`. */
  readonly url: string;
  readonly changerLun: 3;
  readonly driveLuns: readonly [1, 2];
  readonly addresses: { drives: readonly [1, 2]; picker: 5; importExport: 8; slots: readonly number[] };
  readonly tapes: readonly VtlTape[];
  /** The current tgtd pid. */
  pid(): number;
  /** The path of a tape's image file. */
  tapeFile(barcode: string): string;
  /** `tgtimg --op show` of a tape, parsed: every block, filemark and the end of data, in order. */
  show(barcode: string): Promise<TapeImageEntry[]>;
  /** SIGKILLs tgtd without cleanup (simulates a crash). Resolves when the process is gone. */
  crash(): Promise<void>;
  /** SIGSTOPs tgtd (it keeps its sockets open but answers nothing); {@link Vtl.resume} undoes it. */
  freeze(): void;
  resume(): void;
  /** Starts tgtd again on the same port with the same tapes and configuration (after {@link Vtl.crash}). */
  restart(): Promise<void>;
  /** Stops tgtd (tgtadm delete, then SIGKILL by pid) and removes the directory. */
  stop(): Promise<void>;
}

const TARGET = 'iqn.2026-11.test:vtl';
const DRIVES = [1, 2] as const;
const PICKER = 5;
const IMPORT_EXPORT = 8;
const SLOTS = [10, 11, 12, 13, 14, 15, 16, 17];

/** The default tapes: six data tapes and one cleaning tape. */
export const VTL_TAPES: readonly VtlTape[] = [
  ...[1, 2, 3, 4, 5, 6].map((i) => ({ barcode: `TAPE000${i}L6`, kind: 'data' as const, slot: SLOTS[i - 1]! })),
  { barcode: 'CLN001L1', kind: 'clean', slot: SLOTS[6]! },
];

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A control port (tgtd -C) whose unix socket is not in use; claimed with an exclusive lock file in the temp dir. */
function freeControlPort(): number {
  for (let i = 0; i < 1000; i++) {
    const n = 1000 + Math.floor(Math.random() * 31000); // tgtd accepts -C 0..32767
    if (existsSync(`/var/run/tgtd/socket.${n}`)) continue;
    const claim = path.join(os.tmpdir(), `tapir-tgtd-${n}.claim`);
    try {
      closeSync(openSync(claim, 'wx'));
      return n;
    } catch {
      continue;
    }
  }
  throw new Error('no free tgtd control port');
}

/** Starts a private VTL. Call {@link Vtl.stop} in `afterAll`. */
export async function startVtl(options: VtlOptions = {}): Promise<Vtl> {
  const port = await freePort();
  const control = freeControlPort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tapir-vtl-'));
  const tapeSize = (barcode: string): number => options.tapeSizes?.[barcode] ?? options.tapeSizeMb ?? 256;
  try {
    for (const tape of VTL_TAPES) {
      await run('tgtimg', [
        '--op',
        'new',
        '--device-type',
        'tape',
        '--barcode',
        tape.barcode,
        '--size',
        String(tapeSize(tape.barcode)),
        '--type',
        tape.kind,
        '--file',
        path.join(dir, tape.barcode),
      ]);
    }
    // Each drive LU needs a backing tape image to be created; these placeholders are never loaded by the changer.
    for (const d of DRIVES) {
      await run('tgtimg', [
        '--op',
        'new',
        '--device-type',
        'tape',
        '--barcode',
        `EMPTY${d}`,
        '--size',
        '1',
        '--type',
        'data',
        '--file',
        path.join(dir, `.drive${d}`),
      ]);
    }
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    rmSync(path.join(os.tmpdir(), `tapir-tgtd-${control}.claim`), { force: true });
    throw err;
  }
  writeFileSync(path.join(dir, 'smc'), Buffer.alloc(1024));

  let child: ChildProcess | undefined;
  const tgtadm = (...args: string[]): Promise<unknown> =>
    run('tgtadm', ['-C', String(control), '--lld', 'iscsi', ...args]);

  const launch = async (): Promise<void> => {
    const log = openSync(path.join(dir, 'tgtd.log'), 'a');
    const started = spawn('tgtd', ['-C', String(control), '--iscsi', `portal=127.0.0.1:${port}`, '-f'], {
      stdio: ['ignore', log, log],
    });
    child = started;
    closeSync(log);
    // If the test process dies without stop(), do not leave this tgtd behind (by pid, never by name).
    const reap = (): void => {
      if (started.pid && started.exitCode === null && started.signalCode === null) {
        try {
          process.kill(started.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    };
    process.once('exit', reap);
    started.once('exit', () => process.off('exit', reap));
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await run('tgtadm', ['-C', String(control), '--op', 'show', '--mode', 'system']);
        break;
      } catch (err) {
        if (child.exitCode !== null || Date.now() > deadline)
          throw new Error(`tgtd did not start: ${readFileSync(path.join(dir, 'tgtd.log'), 'utf8').slice(-2000)}`, {
            cause: err,
          });
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    const lu = (lun: number, params: string): Promise<unknown> =>
      tgtadm('--mode', 'logicalunit', '--op', 'update', '--tid', '1', '--lun', String(lun), '--params', params);
    await tgtadm('--op', 'new', '--mode', 'target', '--tid', '1', '-T', TARGET);
    for (const d of DRIVES) {
      await tgtadm(
        '--mode',
        'logicalunit',
        '--op',
        'new',
        '--tid',
        '1',
        '--lun',
        String(d),
        '-b',
        path.join(dir, `.drive${d}`),
        '--device-type=tape',
      );
      await lu(d, 'online=0');
    }
    await tgtadm(
      '--mode',
      'logicalunit',
      '--op',
      'new',
      '--tid',
      '1',
      '--lun',
      '3',
      '-b',
      path.join(dir, 'smc'),
      '--device-type=changer',
    );
    await lu(3, `media_home=${dir}`);
    await lu(3, `element_type=4,start_address=${DRIVES[0]},quantity=${DRIVES.length}`);
    for (const d of DRIVES) await lu(3, `element_type=4,address=${d},tid=1,lun=${d}`);
    await lu(3, `element_type=1,start_address=${PICKER},quantity=1`);
    await lu(3, `element_type=3,start_address=${IMPORT_EXPORT},quantity=1`);
    await lu(3, `element_type=2,start_address=${SLOTS[0]},quantity=${SLOTS.length}`);
    for (const tape of VTL_TAPES) await lu(3, `element_type=2,address=${tape.slot},barcode=${tape.barcode},sides=1`);
    await tgtadm('--op', 'bind', '--mode', 'target', '--tid', '1', '-I', 'ALL');
  };

  const waitExit = (p: ChildProcess, ms: number): Promise<boolean> =>
    p.exitCode !== null || p.signalCode !== null
      ? Promise.resolve(true)
      : new Promise((resolve) => {
          const timer = setTimeout(() => resolve(false), ms);
          p.once('exit', () => {
            clearTimeout(timer);
            resolve(true);
          });
        });

  const kill = async (): Promise<void> => {
    const p = child;
    if (!p?.pid || p.exitCode !== null || p.signalCode !== null) return;
    try {
      process.kill(p.pid, 'SIGCONT');
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
    await waitExit(p, 5000);
  };

  try {
    await launch();
  } catch (err) {
    await kill();
    rmSync(dir, { recursive: true, force: true });
    rmSync(path.join(os.tmpdir(), `tapir-tgtd-${control}.claim`), { force: true });
    throw err;
  }

  return {
    dir,
    host: '127.0.0.1',
    port,
    controlPort: control,
    targetName: TARGET,
    url: `iscsi://127.0.0.1:${port}/${TARGET}`,
    changerLun: 3,
    driveLuns: DRIVES,
    addresses: { drives: DRIVES, picker: PICKER, importExport: IMPORT_EXPORT, slots: SLOTS },
    tapes: VTL_TAPES,
    pid: () => child?.pid ?? -1,
    tapeFile: (barcode) => path.join(dir, barcode),
    async show(barcode) {
      const { stdout } = await run(
        'tgtimg',
        ['--op', 'show', '--device-type', 'tape', '--file', path.join(dir, barcode)],
        { maxBuffer: 64 << 20 },
      );
      return parseTgtimgShow(stdout);
    },
    crash: kill,
    freeze: () => child?.pid && process.kill(child.pid, 'SIGSTOP'),
    resume: () => child?.pid && process.kill(child.pid, 'SIGCONT'),
    async restart() {
      await kill();
      await launch();
    },
    async stop() {
      const p = child;
      if (p?.pid && p.exitCode === null && p.signalCode === null) {
        process.kill(p.pid, 'SIGCONT');
        try {
          await tgtadm('--op', 'delete', '--mode', 'target', '--tid', '1', '--force');
          await run('tgtadm', ['-C', String(control), '--op', 'delete', '--mode', 'system']);
        } catch {
          // Fall through to SIGKILL by pid.
        }
        if (!(await waitExit(p, 3000))) await kill();
      }
      rmSync(dir, { recursive: true, force: true });
      rmSync(path.join(os.tmpdir(), `tapir-tgtd-${control}.claim`), { force: true });
    },
  };
}

/** Parses `tgtimg --op show --device-type tape` output into data blocks, filemarks and the end of data. */
export function parseTgtimgShow(text: string): TapeImageEntry[] {
  const out: TapeImageEntry[] = [];
  for (const line of text.split('\n')) {
    // e.g. " Uncompressed data(2): Blk No. 1, prev 0, curr 1152,  next 101200, sz 100000"
    const m =
      /^\s*(Uncompressed data|Compressed data|Filemark|End of Data)\((\d+)\):\s*Blk No\.?:?\s*(\d+).*?sz (\d+)/.exec(
        line,
      );
    if (!m) continue;
    const kind = m[1]!.endsWith('data') ? 'data' : m[1] === 'Filemark' ? 'filemark' : 'eod';
    out.push({ kind, blockNumber: Number(m[3]), size: Number(m[4]) });
  }
  return out;
}
