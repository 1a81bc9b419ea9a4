import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StoredEvent } from '../../contracts/events/envelope.js';
import type { RunReceipt } from '../../eventstore/projections/receipt-types.js';
import { receiptRelativeDir, renderReceiptFiles, writeReceipts } from '../../eventstore/write-receipts.js';

export interface ReceiptFileCheck {
  name: string;
  /** The file was there before the rebuild. */
  existed: boolean;
  /** Its previous bytes equal the rebuilt bytes. */
  identical: boolean;
}

/** A run's receipt rebuilt from the log, and with `rebuild` how the files on disk compared. */
export interface ReceiptView {
  runId: string;
  /** The projection directory. */
  dir: string;
  receipt: RunReceipt;
  /** `summary.md` as rebuilt. */
  summary: string;
  rebuild?: { identical: boolean; files: ReceiptFileCheck[] };
}

const previous = async (file: string): Promise<Buffer | undefined> => readFile(file).catch(() => undefined);

/**
 * The receipt of a run's events (the log is the truth; the files under `.lily/runs/` are
 * projections). With `rebuild` the three files are rewritten with `writeReceipts` and compared
 * byte for byte with what was there. Throws `eventstore_unavailable` when they cannot be written.
 */
export const runReceiptView = async (
  runId: string,
  events: readonly StoredEvent[],
  runsDir: string,
  o: { rebuild?: boolean },
): Promise<ReceiptView> => {
  const { receipt, files } = renderReceiptFiles(events);
  const dir = join(runsDir, receiptRelativeDir(receipt));
  const summary = files['summary.md'] ?? '';
  if (!o.rebuild) return { runId, dir, receipt, summary };
  const before = await Promise.all(
    Object.keys(files).map(async (name) => [name, await previous(join(dir, name))] as const),
  );
  await writeReceipts(runsDir, events);
  const checks: ReceiptFileCheck[] = before.map(([name, old]) => ({
    name,
    existed: old !== undefined,
    identical: old?.equals(Buffer.from(files[name] ?? '', 'utf8')) === true,
  }));
  return {
    runId,
    dir,
    receipt,
    summary,
    rebuild: { identical: checks.every((f) => f.identical), files: checks },
  };
};
