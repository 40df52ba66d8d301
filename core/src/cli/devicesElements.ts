/**
 * Changer element references on the command line: a bare number is an element address; `slot:N`, `drive:N`, `ie:N`
 * and `picker:N` count elements of one type from 1 in address order (as mtx numbers slots).
 */
import { TapirError } from '@tapir/sdk';
import type { ElementAddressAssignment, MediaChanger } from '@tapir/devices';

/** The element kinds, as written in references and output. */
export const ELEMENT_KINDS = ['slot', 'drive', 'ie', 'picker'] as const;
export type ElementKind = (typeof ELEMENT_KINDS)[number];

const ALIASES: Record<string, ElementKind> = {
  slot: 'slot',
  s: 'slot',
  drive: 'drive',
  d: 'drive',
  ie: 'ie',
  mail: 'ie',
  picker: 'picker',
};

const RANGE_OF: Record<ElementKind, keyof ElementAddressAssignment> = {
  slot: 'storage',
  drive: 'dataTransfer',
  ie: 'importExport',
  picker: 'transport',
};

const TYPE_TEXT: Record<ElementKind, string> = {
  slot: 'storage slot',
  drive: 'drive',
  ie: 'import/export slot',
  picker: 'picker',
};

/** The kind and ordinal of an element address (`slot:3`), or undefined when no range holds it. */
export function elementRef(
  a: ElementAddressAssignment,
  address: number,
): { kind: ElementKind; ordinal: number; ref: string } | undefined {
  for (const kind of ELEMENT_KINDS) {
    const range = a[RANGE_OF[kind]];
    if (address >= range.first && address < range.first + range.count) {
      const ordinal = address - range.first + 1;
      return { kind, ordinal, ref: `${kind}:${ordinal}` };
    }
  }
  return undefined;
}

/** True when the text looks like an element reference rather than a barcode. */
export function isElementRef(text: string): boolean {
  return /^\d+$/.test(text) || /^[a-z]+:\d+$/i.test(text);
}

/**
 * Resolves an element reference to an address on this changer, or throws `TAPIR_E_ELEMENT_INVALID` naming the
 * reference and what the changer has.
 */
export async function parseElementRef(changer: MediaChanger, text: string, expect?: ElementKind): Promise<number> {
  const a = await changer.elementAddresses();
  const invalid = (why: string): TapirError =>
    new TapirError('TAPIR_E_ELEMENT_INVALID', `${changer.name}: no element ${text}: ${why}`, {
      device: changer.name,
      elementRef: text,
      layout: describeLayout(a),
    });
  let address: number;
  let kind: ElementKind | undefined;
  const m = /^([a-z]+):(\d+)$/i.exec(text);
  if (m) {
    kind = ALIASES[m[1]!.toLowerCase()];
    if (!kind)
      throw invalid(
        `unknown element kind ${m[1]} (use ${ELEMENT_KINDS.map((k) => `${k}:N`).join(', ')} or an address)`,
      );
    const range = a[RANGE_OF[kind]];
    const n = Number(m[2]);
    if (n < 1 || n > range.count)
      throw invalid(
        range.count === 0
          ? `the changer has no ${TYPE_TEXT[kind]}`
          : `${kind}:1–${kind}:${range.count} exist (${describeLayout(a)})`,
      );
    address = range.first + n - 1;
  } else if (/^\d+$/.test(text)) {
    address = Number(text);
    const found = elementRef(a, address);
    if (!found) throw invalid(`no element has that address (${describeLayout(a)})`);
    kind = found.kind;
  } else {
    throw invalid(`expected an element address or ${ELEMENT_KINDS.map((k) => `${k}:N`).join(', ')}`);
  }
  if (expect && kind !== expect)
    throw new TapirError(
      'TAPIR_E_ELEMENT_INVALID',
      `${changer.name}: ${text} is ${changer.describe(address)}, not a ${TYPE_TEXT[expect]}`,
      {
        device: changer.name,
        element: address,
        elementRef: text,
      },
    );
  return address;
}

/** `drives 1–2, picker 5, import/export 8, slots 10–17`. */
export function describeLayout(a: ElementAddressAssignment): string {
  const span = (r: { first: number; count: number }): string =>
    r.count <= 1 ? String(r.first) : `${r.first}–${r.first + r.count - 1}`;
  return [
    a.dataTransfer.count && `drives ${span(a.dataTransfer)}`,
    a.transport.count && `picker ${span(a.transport)}`,
    a.importExport.count && `import/export ${span(a.importExport)}`,
    a.storage.count && `slots ${span(a.storage)}`,
  ]
    .filter(Boolean)
    .join(', ');
}

/** `slot 12 (slot:3)` for messages. */
export function elementText(a: ElementAddressAssignment, address: number): string {
  const r = elementRef(a, address);
  return r ? `${r.kind === 'ie' ? 'import/export slot' : r.kind} ${address} (${r.ref})` : `element ${address}`;
}
