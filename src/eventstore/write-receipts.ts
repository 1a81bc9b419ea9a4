import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { canonicalJson } from '../contracts/canonical-json.js';
import { LilyError } from '../contracts/errors.js';
import type { StoredEvent } from '../contracts/events/envelope.js';
import { parseJobId, parseRunId } from '../contracts/ids.js';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from './private-files.js';
import { renderEventsJsonl } from './projections/events-jsonl.js';
import { projectReceipt } from './projections/receipt.js';
import type { RunReceipt } from './projections/receipt-types.js';
import { renderSummary } from './projections/summary.js';

export const RECEIPT_FILES = Object.freeze({
  receipt: 'run_receipt.json',
  summary: 'summary.md',
  events: 'events.jsonl',
});

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** `YYYYMMDDTHHMMSSmmmZ` in UTC: sortable, path-safe, and a function of the event time only. */
export const formatRunTimestamp = (ms: number): string => {
  const d = new Date(ms);
  return (
    `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}T` +
    `${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}${pad(d.getUTCMilliseconds(), 3)}Z`
  );
};

/** `<job>/<ts>-<runId>` relative to `.lily/runs`; ids are parsed, so no segment can traverse. */
export const receiptRelativeDir = (receipt: RunReceipt): string => {
  const at = receipt.timestamps.requestedAt ?? receipt.timestamps.startedAt;
  if (at === null || receipt.jobId === null || receipt.runId === null) {
    throw new LilyError('run_not_found', 'the events hold no run.requested or run.started', {
      runId: receipt.runId,
    });
  }
  return join(parseJobId(receipt.jobId), `${formatRunTimestamp(at)}-${parseRunId(receipt.runId)}`);
};

/** The three projection files of a run, as bytes-to-be: byte-identical for the same events. */
export const renderReceiptFiles = (events: readonly StoredEvent[]) => {
  const receipt = projectReceipt(events);
  return {
    receipt,
    files: {
      [RECEIPT_FILES.receipt]: `${canonicalJson(receipt)}\n`,
      [RECEIPT_FILES.summary]: renderSummary(receipt),
      [RECEIPT_FILES.events]: renderEventsJsonl(events),
    } as Record<string, string>,
  };
};

/**
 * Receipts are projections: the log is durable, they are not fsynced (three fsyncs per run
 * bounded the whole engine's throughput). A crash of the process loses nothing (the page cache
 * survives it); after a power loss `lily runs receipt --rebuild` rewrites any that were lost.
 */
const writeFresh = (path: string, text: string): Promise<void> =>
  writeFile(path, text, { flag: 'wx', mode: PRIVATE_FILE_MODE });

/** Renames `from` to `to`; false when `to` is a directory that is not empty (nothing renamed). */
const renameOnto = (from: string, to: string): Promise<boolean> =>
  rename(from, to).then(
    () => true,
    (e: unknown) => {
      const code = (e as { code?: string }).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
      throw e;
    },
  );

/**
 * Writes `run_receipt.json`, `summary.md` and `events.jsonl` for one run's events into
 * `<runsDir>/<job>/<ts>-<runId>/`. The files are written into a temp directory beside it and
 * renamed into place; an older projection is swapped out and removed, so readers see the old
 * set or the new set (or, for an instant during a rebuild, no directory), never a mix.
 *
 * @returns the directory written and the receipt.
 */
export const writeReceipts = async (
  runsDir: string,
  events: readonly StoredEvent[],
): Promise<{ dir: string; receipt: RunReceipt }> => {
  const { receipt, files } = renderReceiptFiles(events);
  const dir = join(runsDir, receiptRelativeDir(receipt));
  const parent = join(dir, '..');
  const suffix = `${process.pid}-${randomBytes(6).toString('hex')}`;
  const temp = join(parent, `.tmp-${suffix}`);
  await mkdir(temp, { recursive: true, mode: PRIVATE_DIR_MODE });
  try {
    await Promise.all(Object.entries(files).map(([name, text]) => writeFresh(join(temp, name), text)));
    // A first projection: one rename. A rebuild: the old directory is swapped out, then removed.
    if (!(await renameOnto(temp, dir))) {
      const old = join(parent, `.old-${suffix}`);
      const hadOld = await rename(dir, old).then(
        () => true,
        () => false,
      );
      await rename(temp, dir);
      if (hadOld) await rm(old, { recursive: true, force: true });
    }
  } catch (e) {
    await rm(temp, { recursive: true, force: true });
    throw new LilyError('eventstore_unavailable', `cannot write receipts to ${dir}`, { dir }, { cause: e });
  }
  return { dir, receipt };
};

const renameOntoSync = (from: string, to: string): boolean => {
  try {
    renameSync(from, to);
    return true;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
    throw e;
  }
};

const writeFreshSync = (path: string, text: string): void => {
  const fd = openSync(path, 'wx', PRIVATE_FILE_MODE);
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
};

/**
 * `writeReceipts` with blocking file calls: the same bytes, the same temp-directory swap. For a
 * thread that does nothing else (the engine's projector thread), where a blocking call is
 * cheaper than a trip through the thread pool; never on an event loop that serves anything.
 */
export const writeReceiptsSync = (
  runsDir: string,
  events: readonly StoredEvent[],
): { dir: string; receipt: RunReceipt } => {
  const { receipt, files } = renderReceiptFiles(events);
  const dir = join(runsDir, receiptRelativeDir(receipt));
  const parent = join(dir, '..');
  const suffix = `${process.pid}-${randomBytes(6).toString('hex')}`;
  const temp = join(parent, `.tmp-${suffix}`);
  mkdirSync(temp, { recursive: true, mode: PRIVATE_DIR_MODE });
  try {
    for (const [name, text] of Object.entries(files)) writeFreshSync(join(temp, name), text);
    // A first projection: one rename. A rebuild: the old directory is swapped out, then removed.
    if (!renameOntoSync(temp, dir)) {
      const old = join(parent, `.old-${suffix}`);
      let hadOld = true;
      try {
        renameSync(dir, old);
      } catch {
        hadOld = false;
      }
      renameSync(temp, dir);
      if (hadOld) rmSync(old, { recursive: true, force: true });
    }
  } catch (e) {
    rmSync(temp, { recursive: true, force: true });
    throw new LilyError('eventstore_unavailable', `cannot write receipts to ${dir}`, { dir }, { cause: e });
  }
  return { dir, receipt };
};
