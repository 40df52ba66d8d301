/**
 * Moving media for `tapir device move|load|unload`: checks source and destination against a fresh inventory so that
 * errors name both elements by address and reference, then lets the changer move (which still guards against races).
 */
import { TapirError } from '@tapir/sdk';
import type { ChangerInventory, ElementStatus } from '@tapir/devices';
import type { OpenedChanger } from './devices.js';
import { elementRef, elementText } from './devicesElements.js';

/** What a move did, for output. */
export interface MoveResult {
  readonly changer: string;
  readonly from: { readonly address: number; readonly ref: string };
  readonly to: { readonly address: number; readonly ref: string };
  readonly barcode: string | undefined;
}

/** Every element of an inventory, by address. */
export function elementsByAddress(inventory: ChangerInventory): Map<number, ElementStatus> {
  return new Map(
    [...inventory.transports, ...inventory.slots, ...inventory.importExport, ...inventory.drives].map((e) => [
      e.address,
      e,
    ]),
  );
}

/**
 * Moves the medium in `from` to `to`.
 *
 * @throws `TAPIR_E_ELEMENT_EMPTY` when `from` holds nothing, `TAPIR_E_ELEMENT_FULL` when `to` is occupied (naming the
 * barcode there), `TAPIR_E_ELEMENT_INVALID` for a move onto itself; device errors as the changer raises them.
 */
export async function moveChecked(
  opened: OpenedChanger,
  from: number,
  to: number,
  inventory?: ChangerInventory,
): Promise<MoveResult> {
  const { changer, name } = opened;
  const a = await changer.elementAddresses();
  const elements = elementsByAddress(inventory ?? (await changer.inventory()));
  const source = elements.get(from);
  const destination = elements.get(to);
  const what = `${name}: cannot move from ${elementText(a, from)} to ${elementText(a, to)}`;
  if (from === to)
    throw new TapirError('TAPIR_E_ELEMENT_INVALID', `${what}: source and destination are the same element`, {
      device: name,
      element: from,
    });
  if (source && !source.full)
    throw new TapirError('TAPIR_E_ELEMENT_EMPTY', `${what}: ${elementText(a, from)} is empty`, {
      device: name,
      element: from,
      elementRef: elementRef(a, from)?.ref,
      destination: to,
    });
  if (destination?.full)
    throw new TapirError(
      'TAPIR_E_ELEMENT_FULL',
      `${what}: ${elementText(a, to)} is full${destination.barcode ? ` (holds ${destination.barcode})` : ''}`,
      {
        device: name,
        element: to,
        elementRef: elementRef(a, to)?.ref,
        ...(destination.barcode ? { barcode: destination.barcode } : {}),
        source: from,
      },
    );
  await changer.move(from, to);
  return {
    changer: name,
    from: { address: from, ref: elementRef(a, from)?.ref ?? String(from) },
    to: { address: to, ref: elementRef(a, to)?.ref ?? String(to) },
    barcode: source?.barcode,
  };
}
