/** One syslog message before it is put into RFC 5424's wire format. */
export interface SyslogMessage {
  /** Facility code, 0–23. */
  facility: number;
  /** Severity code, 0 (emergency) – 7 (debug). */
  severity: number;
  timestamp: Date;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
  /** SD-ELEMENTs: an SD-ID and its parameters; a parameter whose value is `undefined` is left out. */
  structuredData: Array<{ id: string; params: Record<string, string | number | boolean | undefined> }>;
  /** The free-text MSG; empty for none. */
  text: string;
}

// Field lengths of RFC 5424 §6 (HOSTNAME, APP-NAME, PROCID, MSGID, SD-NAME).
const MAX_HOSTNAME = 255;
const MAX_APP_NAME = 48;
const MAX_PROCID = 128;
const MAX_MSGID = 32;
const MAX_SD_NAME = 32;
/** Longest SD-PARAM value kept, in characters: a path or an object name, not a document. */
const MAX_PARAM_VALUE = 256;
const BOM = '\uFEFF';
const ELLIPSIS = '...';

/**
 * Formats a message as RFC 5424 (`<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD] MSG`), UTF-8 encoded.
 *
 * @remarks
 * Header fields are made PRINTUSASCII (anything else becomes `_`) and cut to their lengths; an empty one is the
 * NILVALUE `-`. SD-PARAM values escape `"`, `\` and `]` (§6.3.3). A MSG with non-ASCII characters starts with a BOM,
 * as §6.4 asks of UTF-8 text. When the message would exceed `maxBytes`, the MSG is cut and ends in `...`.
 */
export function formatSyslogMessage(message: SyslogMessage, maxBytes = 2048): Buffer {
  const pri = message.facility * 8 + message.severity;
  const head = [
    `<${pri}>1`,
    message.timestamp.toISOString(),
    headerField(message.hostname, MAX_HOSTNAME),
    headerField(message.appName, MAX_APP_NAME),
    headerField(message.procId, MAX_PROCID),
    headerField(message.msgId, MAX_MSGID),
    structuredData(message.structuredData),
  ].join(' ');
  if (message.text === '') return Buffer.from(head, 'utf8');
  const headBytes = Buffer.byteLength(head, 'utf8') + 1;
  const text = fitText(message.text, maxBytes - headBytes);
  if (text === '') return Buffer.from(head, 'utf8');
  return Buffer.from(`${head} ${text}`, 'utf8');
}

/** A header field as PRINTUSASCII of at most `max` characters, or `-`. */
export function headerField(value: string, max: number): string {
  const printable = value.replace(/[^!-~]/g, '_').slice(0, max);
  return printable === '' ? '-' : printable;
}

/** Escapes an SD-PARAM value: `"`, `\` and `]` get a backslash (RFC 5424 §6.3.3). */
export function escapeParamValue(value: string): string {
  return value.replace(/["\\\]]/g, (c) => `\\${c}`);
}

function structuredData(elements: SyslogMessage['structuredData']): string {
  const parts = elements.map(({ id, params }) => {
    const pairs = Object.entries(params)
      .filter((entry): entry is [string, string | number | boolean] => entry[1] !== undefined)
      .map(([name, value]) => `${sdName(name)}="${escapeParamValue(cut(String(value), MAX_PARAM_VALUE))}"`);
    return `[${[sdName(id), ...pairs].join(' ')}]`;
  });
  return parts.length === 0 ? '-' : parts.join('');
}

// SD-NAME: PRINTUSASCII except '=', SP, ']' and '"'. (The '@' of an SD-ID is allowed.)
function sdName(name: string): string {
  return name.replace(/[^!-~]|[=\]"]/g, '_').slice(0, MAX_SD_NAME) || '_';
}

/** The MSG part, BOM included when it is not ASCII, in at most `budget` bytes ('' when nothing useful fits). */
function fitText(text: string, budget: number): string {
  const ascii = !/[\u0080-\uffff]/.test(text);
  const withBom = (t: string) => (ascii ? t : BOM + t);
  const full = withBom(text);
  if (Buffer.byteLength(full, 'utf8') <= budget) return full;
  const room = budget - Buffer.byteLength(withBom(''), 'utf8') - ELLIPSIS.length;
  if (room <= 0) return '';
  return withBom(utf8Prefix(text, room) + ELLIPSIS);
}

/** The longest prefix of `text` whose UTF-8 encoding fits in `bytes`, never splitting a character. */
function utf8Prefix(text: string, bytes: number): string {
  let used = 0;
  let out = '';
  for (const ch of text) {
    const size = Buffer.byteLength(ch, 'utf8');
    if (used + size > bytes) break;
    used += size;
    out += ch;
  }
  return out;
}

function cut(value: string, max: number): string {
  const chars = [...value];
  return chars.length <= max ? value : chars.slice(0, max - ELLIPSIS.length).join('') + ELLIPSIS;
}
