/**
 * An API error as XAPI reports it: a code from the XenAPI error list and its
 * string parameters. JSON-RPC carries it as `{code: 1, message, data}`,
 * XML-RPC as `{Status: "Failure", ErrorDescription: [code, ...params]}`.
 */
export class XapiFailure extends Error {
  /** The XenAPI error code, e.g. `HANDLE_INVALID`. */
  readonly code: string;
  /** The error's parameters, always strings on the wire. */
  readonly params: string[];

  constructor(code: string, params: readonly (string | number)[] = []) {
    super(params.length > 0 ? `${code}(${params.join(', ')})` : code);
    this.name = 'XapiFailure';
    this.code = code;
    this.params = params.map(String);
  }

  /** `[code, ...params]`, the shape of XML-RPC `ErrorDescription` and task `error_info`. */
  get description(): string[] {
    return [this.code, ...this.params];
  }
}
