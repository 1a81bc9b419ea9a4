import { canonicalJson } from '../../contracts/canonical-json.js';
import { LilyError } from '../../contracts/errors.js';
import { projectReceipt } from '../../eventstore/projections/receipt.js';
import type { CliContext, Outcome } from '../context.js';
import { colorStatus, formatDuration, formatTime } from '../render/format.js';
import { renderTable } from '../render/table.js';
import { eventLine } from './event-line.js';
import { type RunRow, readRun, runRow, withStorage } from './run-store.js';
import { renderRunDetails } from './runs-show.js';

const STATUSES = ['running', 'succeeded', 'failed', 'cancelled'] as const;

export interface ListRunsOptions {
  job?: string;
  status?: string;
  limit?: string;
}

const parseLimit = (raw: string | undefined): number => {
  if (raw === undefined) return 20;
  const n = /^\d+$/.test(raw) ? Number(raw) : Number.NaN; // no 0x10, 1e2, " 5"
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new LilyError('usage_invalid', `--limit must be a positive integer, not ${raw}`, {
      reason: 'invalidArgument',
      option: '--limit',
    });
  }
  return n;
};

const parseStatus = (raw: string | undefined): string | undefined => {
  if (raw === undefined || (STATUSES as readonly string[]).includes(raw)) return raw;
  throw new LilyError('usage_invalid', `--status must be one of ${STATUSES.join(', ')}, not ${raw}`, {
    reason: 'invalidArgument',
    option: '--status',
  });
};

/** A requested run that has not started counts as running for `--status`. */
const statusMatches = (row: RunRow, status: string | undefined): boolean =>
  status === undefined || row.status === status || (status === 'running' && row.status === 'requested');

/**
 * `lily runs list [--job] [--status] [--limit]`: newest first (by request time, then run id).
 * JSON `{runs: [{runId, jobId, status, startedAt, durationMs, steps: {ok, total}}], total}`
 * (`total`: matching runs before `--limit`).
 */
export const listRuns = async (ctx: CliContext, options: ListRunsOptions): Promise<Outcome> => {
  const limit = parseLimit(options.limit);
  const status = parseStatus(options.status);
  const rows = await withStorage(ctx.dir, async ({ events }) => {
    const out: RunRow[] = [];
    for (const stream of await events.listStreams('run/')) {
      const list = await events.readStream(stream);
      const row = runRow(stream, list, projectReceipt(list));
      if ((options.job === undefined || row.jobId === options.job) && statusMatches(row, status))
        out.push(row);
    }
    return out;
  });
  rows.sort((a, b) => (b.startedAt ?? 0) - (a.startedAt ?? 0) || (a.runId < b.runId ? 1 : -1));
  const shown = rows.slice(0, limit);
  return {
    data: { runs: shown, total: rows.length },
    human: ({ colors: c }) => {
      if (rows.length === 0) return 'No runs.';
      const table = renderTable(
        c,
        ['RUN', 'JOB', 'STATUS', 'STARTED', 'DURATION', 'STEPS'],
        shown.map((r) => [
          r.runId,
          r.jobId ?? '',
          colorStatus(c, r.status),
          formatTime(r.startedAt),
          formatDuration(r.durationMs),
          `${r.steps.ok}/${r.steps.total}`,
        ]),
      );
      const more =
        rows.length > shown.length ? `\n${c.dim(`${rows.length - shown.length} more (--limit)`)}` : '';
      return `${table}${more}`;
    },
  };
};

/** `lily runs show <runId>`: JSON is the run's receipt (`run_receipt.json`, rebuilt from the log). */
export const showRun = async (ctx: CliContext, runId: string): Promise<Outcome> => {
  const { receipt, steps } = await withStorage(ctx.dir, async ({ events }) => {
    const list = await readRun(events, runId);
    const receipt = projectReceipt(list);
    return { receipt, steps: runRow(`run/${runId}`, list, receipt).steps };
  });
  return { data: receipt, human: ({ colors }) => renderRunDetails(colors, receipt, steps) };
};

/**
 * `lily runs events <runId>`: one line per event (seq, time, type, what it is about).
 * `--json` prints JSON lines: each stored event as canonical JSON.
 */
export const runEvents = async (ctx: CliContext, runId: string): Promise<Outcome> => {
  const list = await withStorage(ctx.dir, ({ events }) => readRun(events, runId));
  return {
    data: list,
    jsonText: () => list.map((e) => canonicalJson(e)).join('\n'),
    human: ({ colors }) => list.map((e) => eventLine(colors, e)).join('\n'),
  };
};
