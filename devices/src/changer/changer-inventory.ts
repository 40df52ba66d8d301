import type { ElementStatus } from '../scsi/smc.js';

/** Everything a media changer holds, one list per element type, in address order. */
export interface ChangerInventory {
  /** Pickers (medium transport elements). */
  readonly transports: readonly ElementStatus[];
  /** Storage slots. */
  readonly slots: readonly ElementStatus[];
  /** Import/export (mail) slots. */
  readonly importExport: readonly ElementStatus[];
  /** Drive (data transfer) elements. */
  readonly drives: readonly ElementStatus[];
}

/** The barcode prefix that marks cleaning cartridges (Bareos' `Cleaning Prefix`, LTO labelling convention). */
export const CLEANING_PREFIX = 'CLN';

/** True when a barcode names a cleaning cartridge, or the changer reports the medium type as cleaning. */
export function isCleaningCartridge(element: Pick<ElementStatus, 'barcode' | 'mediumType'>): boolean {
  return element.mediumType === 2 || (element.barcode?.toUpperCase().startsWith(CLEANING_PREFIX) ?? false);
}
