import type { Dataset } from '../../subgraphs/telemetry/datasets';

/**
 * CSV gets one header row. Orange's native `.tab` gets its three: names, types
 * (`time`, `discrete`, `continuous`) and flags (`meta` for columns not used for learning).
 */
export function headerLines(dataset: Dataset, format: 'csv' | 'tab'): string {
  const names = dataset.columns.map((column) => column.name);
  if (format === 'csv') return `${names.join(',')}\n`;
  return [names, dataset.columns.map((column) => column.type), dataset.columns.map((column) => column.flag ?? '')].map((row) => `${row.join('\t')}\n`).join('');
}
