/**
 * A fault injector between an initiator and a real iSCSI target (tgt): a TCP proxy on a free loopback port that passes
 * every PDU through unchanged, except that it turns the GOOD status of chosen SCSI commands into CHECK CONDITION with
 * the sense data given. It is how tests make a real drive say what tgt never says, such as RECOVERED ERROR 00/17
 * "cleaning requested" on a WRITE that did write its block.
 *
 * Framing follows RFC 7143 §11: a 48-byte basic header segment, TotalAHSLength (byte 4, in words), DataSegmentLength
 * (bytes 5–7), the data segment padded to 4 bytes. Digests must not be negotiated (tapir's initiator uses none).
 * Only SCSI Response PDUs (opcode 21h) with status GOOD are changed: the new data segment is the 2-byte SenseLength
 * and the sense bytes (§11.4.7.2).
 */
import net from 'node:net';

/** Which responses to rewrite: the opcode of the command's CDB and which of its occurrences (1-based), per proxy. */
export interface SenseInjection {
  /** The SCSI operation code, e.g. 0x0a for WRITE(6). */
  opcode: number;
  /** Occurrences of that command to answer with the sense (1 = the first one through the proxy). */
  occurrences: number[];
  /** Fixed-format sense data to return. */
  sense: Uint8Array;
}

export interface SenseProxy {
  readonly port: number;
  /** The target URL through the proxy. */
  url(targetName: string): string;
  /** How many responses were rewritten so far. */
  injected(): number;
  close(): Promise<void>;
}

/** Fixed-format sense data (70h) with a sense key and ASC/ASCQ. */
export function fixedSense(key: number, asc: number, ascq: number): Uint8Array {
  const s = new Uint8Array(18);
  s[0] = 0x70;
  s[2] = key & 0x0f;
  s[7] = 10;
  s[12] = asc;
  s[13] = ascq;
  return s;
}

/** One PDU's length from its basic header segment. */
function pduLength(bhs: Buffer): number {
  const ahs = bhs[4]! * 4;
  const data = (bhs[5]! << 16) | (bhs[6]! << 8) | bhs[7]!;
  return 48 + ahs + ((data + 3) & ~3);
}

/** Splits a byte stream into whole PDUs. */
function framer(onPdu: (pdu: Buffer) => void): (chunk: Buffer) => void {
  let pending = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.length >= 48) {
      const length = pduLength(pending);
      if (pending.length < length) break;
      onPdu(pending.subarray(0, length));
      pending = pending.subarray(length);
    }
  };
}

/** Starts the proxy in front of `host:port`. */
export async function startSenseProxy(
  target: { host: string; port: number },
  injection: SenseInjection,
): Promise<SenseProxy> {
  let seen = 0;
  let injected = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    sockets.add(client).add(upstream);
    const marked = new Set<number>(); // initiator task tags of the commands to answer with sense
    client.on(
      'data',
      framer((pdu) => {
        // SCSI Command (01h, the immediate bit masked): CDB at bytes 32–47, initiator task tag at 16–19.
        if ((pdu[0]! & 0x3f) === 0x01 && pdu[32] === injection.opcode) {
          seen++;
          if (injection.occurrences.includes(seen)) marked.add(pdu.readUInt32BE(16));
        }
        upstream.write(pdu);
      }),
    );
    upstream.on(
      'data',
      framer((pdu) => {
        const itt = pdu.readUInt32BE(16);
        // SCSI Response (21h) with response "completed at target" and status GOOD.
        if ((pdu[0]! & 0x3f) === 0x21 && marked.has(itt) && pdu[2] === 0 && pdu[3] === 0) {
          marked.delete(itt);
          injected++;
          const data = Buffer.alloc((2 + injection.sense.length + 3) & ~3);
          data.writeUInt16BE(injection.sense.length, 0);
          Buffer.from(injection.sense).copy(data, 2);
          const bhs = Buffer.from(pdu.subarray(0, 48));
          bhs[3] = 0x02; // CHECK CONDITION
          bhs[4] = 0;
          const length = 2 + injection.sense.length;
          bhs[5] = (length >> 16) & 0xff;
          bhs[6] = (length >> 8) & 0xff;
          bhs[7] = length & 0xff;
          client.write(Buffer.concat([bhs, data]));
          return;
        }
        client.write(pdu);
      }),
    );
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    url: (targetName) => `iscsi://127.0.0.1:${port}/${targetName}`,
    injected: () => injected,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
