import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { destination, pino } from '#pino';

/** Keys whose values never reach a log, at any depth pino's redaction reaches. */
const SECRET_KEYS = ['password', 'passphrase', 'secret', 'token', 'key', 'privateKey', 'authorization', 'cookie'];

/**
 * The process logger: JSON lines in `<home>/logs/tapir.log`, secrets redacted.
 * Commands print their own human or `--json` output; the log is for operators and support.
 */
export function createLogger(home: string, level = process.env.TAPIR_LOG_LEVEL ?? 'info'): Logger {
  const dir = join(home, 'logs');
  mkdirSync(dir, { recursive: true });
  const paths = SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `*.*.*.${k}`]);
  return pino(
    { level, redact: { paths, censor: '[redacted]' }, base: { pid: process.pid } },
    destination({ dest: join(dir, 'tapir.log'), sync: true, mkdir: true }),
  );
}
