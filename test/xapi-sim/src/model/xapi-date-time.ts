/**
 * A XAPI `datetime` value. JSON-RPC sends it as a string (`20240131T12:00:00Z`),
 * XML-RPC as `<dateTime.iso8601>`; the class keeps the distinction for the encoders.
 */
export class XapiDateTime {
  constructor(readonly date: Date) {}

  /** The current time. */
  static now(): XapiDateTime {
    return new XapiDateTime(new Date());
  }

  /** XAPI's compact ISO 8601 form, `YYYYMMDDTHH:MM:SSZ`. */
  toString(): string {
    const iso = this.date.toISOString(); // 2024-01-31T12:00:00.000Z
    return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 19)}Z`;
  }

  toJSON(): string {
    return this.toString();
  }

  /** Parses `YYYYMMDDTHH:MM:SSZ` (or a full ISO 8601 string). */
  static parse(text: string): XapiDateTime {
    const m = /^(\d{4})(\d{2})(\d{2})T(\d{2}):(\d{2}):(\d{2})Z?$/.exec(text.trim());
    if (m) return new XapiDateTime(new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`));
    return new XapiDateTime(new Date(text));
  }
}
