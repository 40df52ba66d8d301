import { randomBytes } from 'node:crypto';
import os from 'node:os';

/** The default initiator name: an IQN naming this host. */
export function defaultInitiatorName(): string {
  const host =
    os
      .hostname()
      .toLowerCase()
      .replace(/[^a-z0-9.-]/g, '-') || 'localhost';
  return `iqn.2026-11.dev.tapir:${host}`;
}

/**
 * A fresh random-format ISID (RFC 7143 §11.12.5: T=10b, 24 random bits, qualifier). Non-zero, as tgt requires.
 * Keep it for the life of a transport so that reconnects reinstate the same session.
 */
export function randomIsid(): Buffer {
  const isid = Buffer.alloc(6);
  isid[0] = 0x80;
  randomBytes(3).copy(isid, 2);
  isid.writeUInt16BE(1, 4);
  return isid;
}
