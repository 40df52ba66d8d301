import { hostname as osHostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { escapeParamValue, formatSyslogMessage, headerField, type SyslogMessage } from '../src/formatSyslogMessage.js';
import { resolveSyslogOptions } from '../src/SyslogOptions.js';

const base: SyslogMessage = {
  facility: 3,
  severity: 6,
  timestamp: new Date('2026-11-21T23:50:00.000Z'),
  hostname: 'backup1',
  appName: 'tapir',
  procId: '4242',
  msgId: 'JOBEND',
  structuredData: [{ id: 'tapir@32473', params: { job: 'nightly', status: 'ok' } }],
  text: 'backup done',
};
const format = (over: Partial<SyslogMessage>, max?: number) =>
  formatSyslogMessage({ ...base, ...over }, max).toString('utf8');

describe('RFC 5424 formatting', () => {
  it('writes <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD] MSG', () => {
    expect(format({})).toBe(
      '<30>1 2026-11-21T23:50:00.000Z backup1 tapir 4242 JOBEND [tapir@32473 job="nightly" status="ok"] backup done',
    );
    expect(format({ facility: 23, severity: 0, text: '', structuredData: [] })).toBe(
      '<184>1 2026-11-21T23:50:00.000Z backup1 tapir 4242 JOBEND -',
    );
  });

  it.each([
    ['a"b', 'a\\"b'],
    ['a]b', 'a\\]b'],
    ['a\\b', 'a\\\\b'],
    ['"]\\', '\\"\\]\\\\'],
    ['[ok=1]', '[ok=1\\]'],
  ])('escapes the SD-PARAM value %s as %s', (value, escaped) => {
    expect(escapeParamValue(value)).toBe(escaped);
  });

  it.each([
    ['host name', 255, 'host_name'],
    ['mañana', 255, 'ma_ana'],
    ['', 48, '-'],
    ['x'.repeat(300), 255, 'x'.repeat(255)],
    ['tab\there', 48, 'tab_here'],
  ])('makes the header field %j printable ASCII within %i characters', (value, max, field) => {
    expect(headerField(value, max)).toBe(field);
  });

  it('leaves out parameters without a value, and names only what may be an SD-NAME', () => {
    expect(format({ structuredData: [{ id: 'tapir@32473', params: { a: 1, b: undefined, 'c d=': true } }] })).toContain(
      '[tapir@32473 a="1" c_d_="true"]',
    );
  });

  it('puts a BOM before a MSG only when it is not ASCII, and cuts MSG on a character boundary', () => {
    expect(format({ text: 'plain' })).toMatch(/\] plain$/);
    expect(format({ text: 'grüße' })).toMatch(/\] \uFEFFgrüße$/);
    const cut = formatSyslogMessage({ ...base, text: '€'.repeat(1000) }, 480);
    expect(cut.length).toBeLessThanOrEqual(480);
    expect(cut.length).toBeGreaterThan(474);
    expect(cut.toString('utf8')).toMatch(/\] \uFEFF€+\.\.\.$/);
    expect(cut.toString('utf8')).not.toContain('\uFFFD');
  });
});

describe('options', () => {
  it('get their defaults when not set', () => {
    const { events, hostname, ...rest } = resolveSyslogOptions({});
    expect(rest).toEqual({
      host: '127.0.0.1',
      port: 514,
      transport: 'udp',
      facility: 3,
      appName: 'tapir',
      timeoutMs: 5000,
      maxMessageBytes: 2048,
    });
    expect([...events]).toEqual(['start', 'saveSetEnd', 'failure', 'end', 'media']);
    expect(hostname).toBe(osHostname());
  });

  it('are checked again when created without validation', () => {
    expect(() => resolveSyslogOptions({ facility: 'local9' as never })).toThrow(/facility "local9"/);
    expect(() => resolveSyslogOptions({ transport: 'tls' as never })).toThrow(/transport must be udp or tcp/);
    expect(() => resolveSyslogOptions({ events: ['everything' as never] })).toThrow(/"everything" is not an event/);
    expect(resolveSyslogOptions({ facility: 'local7' }).facility).toBe(23);
  });
});
