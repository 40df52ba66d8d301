import type { RebuiltSaveSet } from '../run/rebuildCatalog.js';
import { table } from './format.js';

/** The human report of a catalog rebuild (`tapir catalog rebuild`, `tapir media scan`) and its count of imports. */
export function rebuildReport(results: RebuiltSaveSet[]): { text: string; imported: number } {
  const imported = results.filter((r) => r.outcome === 'imported').length;
  const rows = results.map((r) => [
    r.saveSet ?? '?',
    r.job ?? '',
    r.level ?? '',
    r.outcome,
    r.detail ?? (r.items !== undefined ? `${r.items} items` : ''),
  ]);
  const text = `${table([['SAVE SET', 'JOB', 'LEVEL', 'OUTCOME', 'DETAIL'], ...rows])}\n${imported} save set(s) imported, ${results.length - imported} not`;
  return { text, imported };
}
