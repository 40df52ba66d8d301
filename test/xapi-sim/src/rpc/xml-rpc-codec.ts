import { XapiDateTime } from '../model/xapi-date-time.js';
import type { XapiValue } from '../model/xapi-value.js';

/** Escapes text for XML character data. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&quot;'));
}

function unescapeXml(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|lt|gt|amp|quot|apos);/g, (_, entity: string) => {
    if (entity === 'lt') return '<';
    if (entity === 'gt') return '>';
    if (entity === 'amp') return '&';
    if (entity === 'quot') return '"';
    if (entity === 'apos') return "'";
    const code = entity.startsWith('#x') ? parseInt(entity.slice(2), 16) : parseInt(entity.slice(1), 10);
    return String.fromCodePoint(code);
  });
}

/**
 * Encodes a value as an XML-RPC `<value>` the way XAPI does: strings bare,
 * integers as strings (XAPI's int is 64-bit, beyond XML-RPC's i4), floats as
 * `<double>`, datetimes as `<dateTime.iso8601>`.
 */
export function encodeXmlRpcValue(value: XapiValue | null | undefined): string {
  if (value === null || value === undefined) return '<value></value>';
  if (typeof value === 'string') return `<value>${escapeXml(value)}</value>`;
  if (typeof value === 'boolean') return `<value><boolean>${value ? 1 : 0}</boolean></value>`;
  if (typeof value === 'number') {
    return Number.isInteger(value) ? `<value>${value}</value>` : `<value><double>${value}</double></value>`;
  }
  if (value instanceof XapiDateTime) return `<value><dateTime.iso8601>${value.toString()}</dateTime.iso8601></value>`;
  if (Array.isArray(value))
    return `<value><array><data>${value.map(encodeXmlRpcValue).join('')}</data></array></value>`;
  const members = Object.entries(value)
    .map(([k, v]) => `<member><name>${escapeXml(k)}</name>${encodeXmlRpcValue(v)}</member>`)
    .join('');
  return `<value><struct>${members}</struct></value>`;
}

/** An XML-RPC `methodResponse` around one value. */
export function encodeXmlRpcResponse(value: XapiValue): string {
  return `<?xml version="1.0"?><methodResponse><params><param>${encodeXmlRpcValue(value)}</param></params></methodResponse>`;
}

/** A decoded XML-RPC `methodCall`. */
export interface XmlRpcCall {
  method: string;
  params: XapiValue[];
}

/** A cursor over XML text that reads tags in order, skipping whitespace between them. */
class XmlCursor {
  pos = 0;
  constructor(private readonly text: string) {}

  /** The next tag (without consuming it), e.g. `value`, `/value`, `string/`. */
  peekTag(): string | undefined {
    const save = this.pos;
    const tag = this.nextTag();
    this.pos = save;
    return tag;
  }

  /** Consumes the next tag, skipping text, comments and processing instructions before it. */
  nextTag(): string | undefined {
    for (;;) {
      const start = this.text.indexOf('<', this.pos);
      if (start < 0) return undefined;
      const end = this.text.indexOf('>', start);
      if (end < 0) throw new SyntaxError('unterminated tag');
      this.pos = end + 1;
      const body = this.text.slice(start + 1, end).trim();
      if (body.startsWith('?') || body.startsWith('!')) continue;
      return body.replace(/\s.*?(\/?)$/s, '$1');
    }
  }

  expect(tag: string): void {
    const got = this.nextTag();
    if (got !== tag) throw new SyntaxError(`expected <${tag}>, got <${got ?? 'EOF'}>`);
  }

  /** Raw text up to the next `<`. */
  textUntilTag(): string {
    const start = this.pos;
    const end = this.text.indexOf('<', start);
    this.pos = end < 0 ? this.text.length : end;
    return this.text.slice(start, this.pos);
  }
}

function parseValue(cur: XmlCursor): XapiValue {
  // Called after <value> was consumed.
  const save = cur.pos;
  const text = cur.textUntilTag();
  const tag = cur.peekTag();
  if (tag === '/value') {
    cur.nextTag();
    return unescapeXml(text);
  }
  cur.pos = save;
  const typeTag = cur.nextTag();
  if (typeTag === undefined) throw new SyntaxError('unterminated value');
  let result: XapiValue;
  if (typeTag.endsWith('/')) {
    const name = typeTag.slice(0, -1);
    result = name === 'array' ? [] : name === 'struct' ? {} : '';
  } else if (typeTag === 'array') {
    const items: XapiValue[] = [];
    const next = cur.nextTag();
    if (next === 'data') {
      for (;;) {
        const t = cur.nextTag();
        if (t === '/data') break;
        if (t !== 'value') throw new SyntaxError(`unexpected <${t ?? 'EOF'}> in array`);
        items.push(parseValue(cur));
      }
      cur.expect('/array');
    } else if (next !== 'data/') {
      throw new SyntaxError('array without data');
    } else cur.expect('/array');
    result = items;
  } else if (typeTag === 'struct') {
    const out: { [key: string]: XapiValue } = {};
    for (;;) {
      const t = cur.nextTag();
      if (t === '/struct') break;
      if (t !== 'member') throw new SyntaxError(`unexpected <${t ?? 'EOF'}> in struct`);
      cur.expect('name');
      const name = unescapeXml(cur.textUntilTag());
      cur.expect('/name');
      cur.expect('value');
      out[name] = parseValue(cur);
      cur.expect('/member');
    }
    result = out;
  } else {
    const raw = unescapeXml(cur.textUntilTag());
    cur.expect(`/${typeTag}`);
    switch (typeTag) {
      case 'int':
      case 'i4':
      case 'i8':
        result = Number(raw.trim());
        break;
      case 'boolean':
        result = raw.trim() === '1';
        break;
      case 'double':
        result = Number(raw.trim());
        break;
      case 'dateTime.iso8601':
        result = XapiDateTime.parse(raw);
        break;
      case 'nil':
        result = '';
        break;
      default:
        result = raw;
    }
  }
  cur.expect('/value');
  return result;
}

/** Parses one XML-RPC `<value>` document (e.g. an XVA's `ova.xml`). */
export function parseXmlRpcValue(xml: string): XapiValue {
  const cur = new XmlCursor(xml);
  cur.expect('value');
  return parseValue(cur);
}

/** Parses an XML-RPC `methodCall`. */
export function parseXmlRpcCall(xml: string): XmlRpcCall {
  const cur = new XmlCursor(xml);
  cur.expect('methodCall');
  cur.expect('methodName');
  const method = unescapeXml(cur.textUntilTag()).trim();
  cur.expect('/methodName');
  const params: XapiValue[] = [];
  const t = cur.nextTag();
  if (t === 'params') {
    for (;;) {
      const p = cur.nextTag();
      if (p === '/params') break;
      if (p !== 'param') throw new SyntaxError(`unexpected <${p ?? 'EOF'}> in params`);
      cur.expect('value');
      params.push(parseValue(cur));
      cur.expect('/param');
    }
  }
  return { method, params };
}

/** Parses an XML-RPC `methodResponse` into its single value (for tests and clients). */
export function parseXmlRpcResponse(xml: string): XapiValue {
  const cur = new XmlCursor(xml);
  cur.expect('methodResponse');
  cur.expect('params');
  cur.expect('param');
  cur.expect('value');
  return parseValue(cur);
}
