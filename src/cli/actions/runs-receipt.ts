import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { receiptRelativeDir, renderReceiptFiles, writeReceipts } from '../../eventstore/write-receipts.js';
import type { CliContext, Outcome } from '../context.js';
import { renderFields } from '../render/table.js';
import { readRun, withStorage } from './run-store.js';

export interface ReceiptFileCheck {
  name: string;
  /** The file was there before the rebuild. */
  existed: boolean;
  /** Its previous bytes equal the rebuilt bytes. */
  identical: boolean;
}

const previous = async (file: string): Promise<Buffer | undefined> => readFile(file).catch(() => undefined);

/**
 * `lily runs receipt <runId> [--rebuild]`: the run's receipt, rebuilt from the log (the log is
 * the truth; the files under `.lily/runs/` are projections). With `--rebuild` the three files
 * are rewritten with `writeReceipts` and compared byte for byte with what was there.
 * JSON `{runId, dir, receipt, rebuild?: {identical, files: [{name, existed, identical}]}}`.
 */
export const runReceipt = async (
  ctx: CliContext,
  runId: string,
  options: { rebuild?: boolean },
): Promise<Outcome> => {
  const result = await withStorage(ctx.dir, async ({ events, runsDir }) => {
    const list = await readRun(events, runId);
    const { receipt, files } = renderReceiptFiles(list);
    const dir = join(runsDir, receiptRelativeDir(receipt));
    if (!options.rebuild) return { dir, receipt, summary: files['summary.md'] ?? '' };
    const before = await Promise.all(
      Object.keys(files).map(async (name) => [name, await previous(join(dir, name))] as const),
    );
    await writeReceipts(runsDir, list);
    const checks: ReceiptFileCheck[] = before.map(([name, old]) => ({
      name,
      existed: old !== undefined,
      identical: old?.equals(Buffer.from(files[name] ?? '', 'utf8')) === true,
    }));
    const rebuild = { identical: checks.every((f) => f.identical), files: checks };
    return { dir, receipt, summary: files['summary.md'] ?? '', rebuild };
  });
  const { dir, receipt, summary, rebuild } = result as typeof result & {
    rebuild?: { identical: boolean; files: ReceiptFileCheck[] };
  };
  return {
    data: { runId, dir, receipt, ...(rebuild ? { rebuild } : {}) },
    human: ({ colors: c }) => {
      if (!rebuild) return `${c.dim(`# ${dir}`)}\n${summary.trimEnd()}`;
      const fields: [string, string][] = rebuild.files.map((f) => [
        f.name,
        !f.existed
          ? c.yellow('written (was missing)')
          : f.identical
            ? c.green('byte-identical')
            : c.red('changed'),
      ]);
      const verdict = rebuild.identical
        ? c.green('receipt rebuilt from the log: byte-identical')
        : rebuild.files.every((f) => !f.existed)
          ? c.yellow('receipt written from the log (there was none)')
          : c.yellow('receipt rebuilt from the log: it differed from the files on disk');
      return [renderFields(c, [['dir', dir], ...fields]), verdict].join('\n');
    },
  };
};
