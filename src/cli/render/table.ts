import Table from 'cli-table3';
import type { Colors } from './ui.js';

/**
 * A plain table: bold header, light borders, no colors of its own (cells may carry colors).
 *
 * @example
 * ui.out(renderTable(ui.colors, ['ID', 'TITLE'], [['hello', 'Hello, Lily']]));
 */
export const renderTable = (colors: Colors, head: string[], rows: (string | number)[][]): string => {
  const table = new Table({
    head: head.map((h) => colors.bold(h)),
    style: { head: [], border: [], compact: true, 'padding-left': 1, 'padding-right': 1 },
    wordWrap: true,
  });
  for (const row of rows) table.push(row.map(String));
  return table.toString();
};

/** Aligned `key  value` lines (for `show` commands). */
export const renderFields = (colors: Colors, fields: [string, string | undefined][]): string => {
  const shown = fields.filter((f): f is [string, string] => f[1] !== undefined);
  const width = Math.max(0, ...shown.map(([k]) => k.length));
  return shown.map(([k, v]) => `${colors.dim(k.padEnd(width))}  ${v}`).join('\n');
};
