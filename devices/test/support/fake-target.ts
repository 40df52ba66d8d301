/**
 * A small scripted iSCSI target for tests, written from RFC 7143 (not from tapir's initiator): it frames PDUs itself,
 * logs initiators in, and hands every SCSI command to the test's script, which answers well or badly on purpose.
 *
 * It does not model: digests, multiple connections, task management, SNACK, text negotiation after login,
 * or AHS. It answers login in one exchange per stage.
 */
import net from 'node:net';

export interface LoginSeen {
  csg: number;
  nsg: number;
  transit: boolean;
  isid: string;
  tsih: number;
  keys: Map<string, string>;
}

export interface CommandSeen {
  lun: number;
  itt: number;
  cdb: Buffer;
  edtl: number;
  cmdSN: number;
  read: boolean;
  write: boolean;
  final: boolean;
  immediate: Buffer;
}

export interface DataOutSeen {
  itt: number;
  ttt: number;
  dataSN: number;
  offset: number;
  final: boolean;
  data: Buffer;
}

/** What the script may do with one connection. */
export interface TargetConnection {
  /** Sends raw bytes. */
  raw(bytes: Buffer): void;
  /** Builds and sends a PDU: a 48-byte header filled by `fill`, then `data` padded. */
  pdu(opcode: number, fill: (bhs: Buffer) => void, data?: Buffer): void;
  dataIn(
    cmd: CommandSeen,
    data: Buffer,
    opts?: { offset?: number; status?: number; final?: boolean; residual?: number },
  ): void;
  response(cmd: CommandSeen, status: number, sense?: Buffer, opts?: { residual?: number; response?: number }): void;
  r2t(cmd: CommandSeen, offset: number, length: number, ttt: number, r2tSN: number): void;
  nopIn(ttt: number): void;
  /** Bytes written by the initiator for a command (immediate + unsolicited + solicited), by ITT. */
  written: Map<number, Buffer>;
  dataOuts: DataOutSeen[];
  destroy(): void;
  socket: net.Socket;
}

export interface FakeTargetScript {
  /** Keys the target answers in the operational stage (merged over sensible defaults). */
  operationalKeys?: Record<string, string>;
  /** Override a login answer: return a function that fills the response header, or 'silent' to never answer. */
  login?: (seen: LoginSeen, conn: TargetConnection) => 'default' | 'silent' | ((bhs: Buffer) => Buffer | void);
  /** Called for each SCSI command. Default: GOOD with no data, or full Data-In of zeros. */
  command?: (cmd: CommandSeen, conn: TargetConnection) => void;
  /** Called for each Data-Out PDU after it was recorded. */
  dataOut?: (d: DataOutSeen, cmd: CommandSeen, conn: TargetConnection) => void;
  /** Called for NOP-Out. Default: answer pings. */
  nopOut?: (itt: number, ttt: number, conn: TargetConnection) => void;
  /** Largest window: MaxCmdSN = ExpCmdSN + window − 1. Default 32. */
  window?: number;
}

export interface FakeTarget {
  port: number;
  logins: LoginSeen[];
  commands: CommandSeen[];
  connections: TargetConnection[];
  close(): Promise<void>;
}

export async function startFakeTarget(script: FakeTargetScript = {}): Promise<FakeTarget> {
  const logins: LoginSeen[] = [];
  const commands: CommandSeen[] = [];
  const connections: TargetConnection[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let statSN = 100;
    let expCmdSN = 1;
    const window = script.window ?? 32;
    const cmds = new Map<number, CommandSeen>();
    // A target with a queue of `window` commands: it opens the window by one as each queued command ends, and never
    // moves MaxCmdSN back (RFC 7143 §4.2.2.1).
    const queued = new Set<number>();
    let maxCmdSN = 0;
    const windowEnd = (): number => {
      maxCmdSN = Math.max(maxCmdSN, expCmdSN + window - queued.size - 1);
      return maxCmdSN;
    };
    const seq = (bhs: Buffer, advance = true): void => {
      bhs.writeUInt32BE(advance ? statSN++ : statSN, 24);
      bhs.writeUInt32BE(expCmdSN, 28);
      bhs.writeUInt32BE(windowEnd(), 32);
    };
    const conn: TargetConnection = {
      socket,
      written: new Map(),
      dataOuts: [],
      raw: (bytes) => socket.write(bytes),
      pdu(opcode, fill, data = Buffer.alloc(0)) {
        const bhs = Buffer.alloc(48);
        bhs[0] = opcode;
        bhs.writeUIntBE(data.length, 5, 3);
        fill(bhs);
        const pad = Buffer.alloc((4 - (data.length % 4)) % 4);
        socket.write(Buffer.concat([bhs, data, pad]));
      },
      dataIn(cmd, data, opts = {}) {
        const status = opts.status;
        this.pdu(
          0x25,
          (b) => {
            b[1] =
              ((opts.final ?? status !== undefined) ? 0x80 : 0) |
              (status !== undefined ? 0x01 : 0) |
              (opts.residual ? 0x02 : 0);
            if (status !== undefined) b[3] = status;
            b.writeUInt32BE(cmd.itt, 16);
            b.writeUInt32BE(0xffffffff, 20);
            if (status !== undefined) {
              queued.delete(cmd.itt);
              seq(b);
            } else {
              b.writeUInt32BE(expCmdSN, 28);
              b.writeUInt32BE(windowEnd(), 32);
            }
            b.writeUInt32BE(opts.offset ?? 0, 40);
            b.writeUInt32BE(opts.residual ?? 0, 44);
          },
          data,
        );
      },
      response(cmd, status, sense, opts = {}) {
        const data = sense
          ? Buffer.concat([Buffer.from([sense.length >> 8, sense.length & 0xff]), sense])
          : Buffer.alloc(0);
        this.pdu(
          0x21,
          (b) => {
            b[1] = 0x80 | (opts.residual ? 0x02 : 0);
            b[2] = opts.response ?? 0;
            b[3] = status;
            b.writeUInt32BE(cmd.itt, 16);
            queued.delete(cmd.itt);
            seq(b);
            b.writeUInt32BE(opts.residual ?? 0, 44);
          },
          data,
        );
      },
      r2t(cmd, offset, length, ttt, r2tSN) {
        this.pdu(0x31, (b) => {
          b[1] = 0x80;
          b.writeUInt32BE(cmd.itt, 16);
          b.writeUInt32BE(ttt, 20);
          seq(b, false);
          b.writeUInt32BE(r2tSN, 36);
          b.writeUInt32BE(offset, 40);
          b.writeUInt32BE(length, 44);
        });
      },
      nopIn(ttt) {
        this.pdu(0x20, (b) => {
          b[1] = 0x80;
          b.writeUInt32BE(0xffffffff, 16);
          b.writeUInt32BE(ttt, 20);
          seq(b, false);
        });
      },
      destroy: () => socket.destroy(),
    };
    connections.push(conn);
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        if (buf.length < 48) return;
        const len = buf.readUIntBE(5, 3);
        const total = 48 + (buf[4] ?? 0) * 4 + ((len + 3) & ~3);
        if (buf.length < total) return;
        const bhs = buf.subarray(0, 48);
        const data = buf.subarray(48 + (buf[4] ?? 0) * 4, 48 + (buf[4] ?? 0) * 4 + len);
        buf = buf.subarray(total);
        handle(Buffer.from(bhs), Buffer.from(data));
      }
    });

    const handle = (bhs: Buffer, data: Buffer): void => {
      const opcode = bhs[0]! & 0x3f;
      const immediate = (bhs[0]! & 0x40) !== 0;
      if (opcode === 0x03) {
        const keys = new Map<string, string>();
        for (const kv of data.toString().split('\0').filter(Boolean)) {
          const i = kv.indexOf('=');
          keys.set(kv.slice(0, i), kv.slice(i + 1));
        }
        const seen: LoginSeen = {
          transit: (bhs[1]! & 0x80) !== 0,
          csg: (bhs[1]! >> 2) & 3,
          nsg: bhs[1]! & 3,
          isid: bhs.subarray(8, 14).toString('hex'),
          tsih: bhs.readUInt16BE(14),
          keys,
        };
        logins.push(seen);
        expCmdSN = bhs.readUInt32BE(24);
        const custom = script.login?.(seen, conn) ?? 'default';
        if (custom === 'silent') return;
        const answer: Record<string, string> =
          seen.csg === 0
            ? { AuthMethod: 'None' }
            : {
                HeaderDigest: 'None',
                DataDigest: 'None',
                InitialR2T: 'Yes',
                ImmediateData: 'Yes',
                MaxBurstLength: '262144',
                FirstBurstLength: '65536',
                MaxOutstandingR2T: '1',
                ErrorRecoveryLevel: '0',
                TargetPortalGroupTag: '1',
                ...script.operationalKeys,
              };
        const text = Buffer.from(
          Object.entries(answer)
            .map(([k, v]) => `${k}=${v}\0`)
            .join(''),
        );
        conn.pdu(
          0x23,
          (b) => {
            b[1] = 0x80 | (seen.csg << 2) | (seen.csg === 0 ? 1 : 3);
            bhs.copy(b, 8, 8, 14);
            b.writeUInt16BE(seen.csg === 0 ? 0 : 7, 14);
            b.writeUInt32BE(bhs.readUInt32BE(16), 16);
            seq(b);
            if (typeof custom === 'function') custom(b);
          },
          text,
        );
        return;
      }
      if (opcode === 0x01) {
        const cmd: CommandSeen = {
          lun: bhs[9]!,
          itt: bhs.readUInt32BE(16),
          cdb: Buffer.from(bhs.subarray(32, 48)),
          edtl: bhs.readUInt32BE(20),
          cmdSN: bhs.readUInt32BE(24),
          read: (bhs[1]! & 0x40) !== 0,
          write: (bhs[1]! & 0x20) !== 0,
          final: (bhs[1]! & 0x80) !== 0,
          immediate: data,
        };
        if (!immediate) {
          expCmdSN = cmd.cmdSN + 1;
          queued.add(cmd.itt);
        }
        commands.push(cmd);
        cmds.set(cmd.itt, cmd);
        const w = Buffer.alloc(cmd.write ? cmd.edtl : 0);
        data.copy(w, 0);
        conn.written.set(cmd.itt, w);
        if (script.command) script.command(cmd, conn);
        else if (cmd.read) conn.dataIn(cmd, Buffer.alloc(cmd.edtl), { status: 0 });
        else if (!cmd.write || data.length === cmd.edtl) conn.response(cmd, 0);
        return;
      }
      if (opcode === 0x05) {
        const d: DataOutSeen = {
          itt: bhs.readUInt32BE(16),
          ttt: bhs.readUInt32BE(20),
          dataSN: bhs.readUInt32BE(36),
          offset: bhs.readUInt32BE(40),
          final: (bhs[1]! & 0x80) !== 0,
          data,
        };
        conn.dataOuts.push(d);
        const cmd = cmds.get(d.itt);
        if (!cmd) return;
        data.copy(conn.written.get(d.itt)!, d.offset);
        script.dataOut?.(d, cmd, conn);
        return;
      }
      if (opcode === 0x00) {
        const itt = bhs.readUInt32BE(16);
        const ttt = bhs.readUInt32BE(20);
        if (script.nopOut) return script.nopOut(itt, ttt, conn);
        if (itt !== 0xffffffff)
          conn.pdu(0x20, (b) => {
            b[1] = 0x80;
            b.writeUInt32BE(itt, 16);
            b.writeUInt32BE(0xffffffff, 20);
            seq(b);
          });
        return;
      }
      if (opcode === 0x06) {
        conn.pdu(0x26, (b) => {
          b[1] = 0x80;
          b.writeUInt32BE(bhs.readUInt32BE(16), 16);
          seq(b);
        });
        return;
      }
      if (opcode === 0x04) {
        const text = Buffer.from(
          'TargetName=iqn.2026-11.test:fake\0TargetAddress=127.0.0.1:3260,1\0TargetName=iqn.2026-11.test:other\0TargetAddress=[::1]:3261,2\0',
        );
        conn.pdu(
          0x24,
          (b) => {
            b[1] = 0x80;
            b.writeUInt32BE(bhs.readUInt32BE(16), 16);
            b.writeUInt32BE(0xffffffff, 20);
            seq(b);
          },
          text,
        );
      }
    };
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    logins,
    commands,
    connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A default write handler: R2Ts for whatever was not sent unsolicited, one burst at a time, then GOOD. */
export function solicitWrites(
  maxBurst: number,
  firstBurst: number,
  initialR2T: boolean,
): Pick<FakeTargetScript, 'command' | 'dataOut'> {
  const state = new Map<
    number,
    { next: number; r2tSN: number; unsolicitedEnd: number; got: number; burstEnd: number }
  >();
  const sendNext = (cmd: CommandSeen, conn: TargetConnection): void => {
    const s = state.get(cmd.itt)!;
    if (s.next >= cmd.edtl) return conn.response(cmd, 0);
    const len = Math.min(maxBurst, cmd.edtl - s.next);
    s.burstEnd = s.next + len;
    conn.r2t(cmd, s.next, len, 0x1000 + s.r2tSN, s.r2tSN++);
    s.next += len;
  };
  return {
    command(cmd, conn) {
      if (cmd.read) return conn.dataIn(cmd, Buffer.alloc(cmd.edtl, 7), { status: 0 });
      if (!cmd.write) return conn.response(cmd, 0);
      const unsolicitedEnd = initialR2T ? cmd.immediate.length : Math.min(cmd.edtl, firstBurst);
      state.set(cmd.itt, { next: unsolicitedEnd, r2tSN: 0, unsolicitedEnd, got: cmd.immediate.length, burstEnd: 0 });
      if (unsolicitedEnd === cmd.immediate.length) sendNext(cmd, conn);
    },
    dataOut(d, cmd, conn) {
      const s = state.get(cmd.itt)!;
      s.got += d.data.length;
      if (d.final && (d.ttt === 0xffffffff || d.offset + d.data.length === s.burstEnd)) sendNext(cmd, conn);
    },
  };
}
