/**
 * Reads a XAPI task's `result`: an XML-RPC-serialized value (`<value>OpaqueRef:…</value>`, an `<array>` for a set),
 * or `""` for tasks without a result.
 */
export function parseTaskResult(text: string): unknown {
  if (text.trim() === '') return '';
  const reader = new ValueReader(text);
  return reader.value();
}

type Token = { tag: string; close: boolean; empty: boolean } | { text: string };

const TOKEN = /<(\/?)([A-Za-z0-9_.:-]+)\s*(\/?)>|([^<]+)/g;
const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decode(text: string): string {
  return text.replace(/&(lt|gt|amp|quot|apos|#x[0-9a-f]+|#\d+);/gi, (_, e: string) =>
    e[0] === '#'
      ? String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : Number(e.slice(1)))
      : ENTITIES[e.toLowerCase()]!,
  );
}

/** A small recursive reader of one XML-RPC `<value>`: what XAPI puts in task results, nothing more. */
class ValueReader {
  private readonly tokens: Token[] = [];
  private at = 0;

  constructor(text: string) {
    for (const m of text.matchAll(TOKEN)) {
      if (m[2] !== undefined) this.tokens.push({ tag: m[2], close: m[1] === '/', empty: m[3] === '/' });
      else this.tokens.push({ text: m[4]! });
    }
  }

  value(): unknown {
    this.open('value');
    const text = this.text();
    const next = this.peek();
    if (next && 'tag' in next && next.close) {
      this.close('value');
      return decode(text);
    }
    const tag = this.openAny();
    let out: unknown;
    switch (tag.tag) {
      case 'array': {
        const items: unknown[] = [];
        if (!tag.empty) {
          const data = this.openAny();
          if (!data.empty) {
            while (this.peekOpen('value')) items.push(this.value());
            this.close('data');
          }
          this.close('array');
        }
        out = items;
        break;
      }
      case 'struct': {
        const struct: Record<string, unknown> = {};
        if (!tag.empty) {
          while (this.peekOpen('member')) {
            this.open('member');
            this.open('name');
            const name = decode(this.text());
            this.close('name');
            struct[name] = this.value();
            this.close('member');
          }
          this.close('struct');
        }
        out = struct;
        break;
      }
      default: {
        const inner = tag.empty ? '' : decode(this.text());
        if (!tag.empty) this.close(tag.tag);
        out =
          tag.tag === 'boolean'
            ? inner.trim() === '1'
            : ['int', 'i4', 'i8', 'double'].includes(tag.tag)
              ? Number(inner)
              : inner;
      }
    }
    this.close('value');
    return out;
  }

  /** The next token, skipping whitespace between elements (text inside `<value>` is read by {@link text}). */
  private peek(): Token | undefined {
    let t = this.tokens[this.at];
    while (t && 'text' in t && t.text.trim() === '') t = this.tokens[++this.at];
    return t;
  }

  private peekOpen(name: string): boolean {
    const t = this.peek();
    return t !== undefined && 'tag' in t && !t.close && t.tag === name;
  }

  private text(): string {
    const t = this.tokens[this.at];
    if (t && 'text' in t) {
      this.at++;
      return t.text;
    }
    return '';
  }

  private openAny(): { tag: string; empty: boolean } {
    const t = this.peek();
    if (!t || !('tag' in t) || t.close) throw new SyntaxError('XML-RPC value: expected an element');
    this.at++;
    return t;
  }

  private open(name: string): void {
    const t = this.openAny();
    if (t.tag !== name) throw new SyntaxError(`XML-RPC value: expected <${name}>, found <${t.tag}>`);
  }

  private close(name: string): void {
    const t = this.peek();
    if (!t || !('tag' in t) || !t.close || t.tag !== name) throw new SyntaxError(`XML-RPC value: expected </${name}>`);
    this.at++;
  }
}
