import { RUN_LIST_STATUSES, type RunListStatus } from '../../client/index.js';
import { canonicalJson } from '../../contracts/canonical-json.js';
import { LilyError } from '../../contracts/errors.js';
import type { CliContext, Outcome } from '../context.js';
import { colorStatus, formatDuration, formatTime } from '../render/format.js';
import { renderTable } from '../render/table.js';
import { eventLine } from './event-line.js';
import { renderRunDetails } from './runs-show.js';

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

const parseStatus = (raw: string | undefined): RunListStatus | undefined => {
  if (raw === undefined || (RUN_LIST_STATUSES as readonly string[]).includes(raw))
    return raw as RunListStatus;
  throw new LilyError(
    'usage_invalid',
    `--status must be one of ${RUN_LIST_STATUSES.join(', ')}, not ${raw}`,
    {
      reason: 'invalidArgument',
      option: '--status',
    },
  );
};

/**
 * `lily runs list [--job] [--status] [--limit]`: newest first (by request time, then run id).
 * JSON `{runs: [{runId, jobId, status, startedAt, durationMs, steps: {ok, total}}], total}`
 * (`total`: matching runs before `--limit`).
 */
export const listRuns = async (ctx: CliContext, options: ListRunsOptions): Promise<Outcome> => {
  const limit = parseLimit(options.limit);
  const status = parseStatus(options.status);
  const { runs, total } = await ctx.client.runs.list({
    limit,
    ...(options.job !== undefined ? { jobId: options.job } : {}),
    ...(status !== undefined ? { status } : {}),
  });
  return {
    data: { runs, total },
    human: ({ colors: c }) => {
      if (total === 0) return 'No runs.';
      const table = renderTable(
        c,
        ['RUN', 'JOB', 'STATUS', 'STARTED', 'DURATION', 'STEPS'],
        runs.map((r) => [
          r.runId,
          r.jobId ?? '',
          colorStatus(c, r.status),
          formatTime(r.startedAt),
          formatDuration(r.durationMs),
          `${r.steps.ok}/${r.steps.total}`,
        ]),
      );
      const more = total > runs.length ? `\n${c.dim(`${total - runs.length} more (--limit)`)}` : '';
      return `${table}${more}`;
    },
  };
};

/** `lily runs show <runId>`: JSON is the run's receipt (`run_receipt.json`, rebuilt from the log). */
export const showRun = async (ctx: CliContext, runId: string): Promise<Outcome> => {
  const { receipt, steps } = await ctx.client.runs.get(runId).describe();
  return { data: receipt, human: ({ colors }) => renderRunDetails(colors, receipt, steps) };
};

/**
 * `lily runs events <runId>`: one line per event (seq, time, type, what it is about).
 * `--json` prints JSON lines: each stored event as canonical JSON.
 */
export const runEvents = async (ctx: CliContext, runId: string): Promise<Outcome> => {
  const list = await ctx.client.runs.get(runId).events();
  return {
    data: list,
    jsonText: () => list.map((e) => canonicalJson(e)).join('\n'),
    human: ({ colors }) => list.map((e) => eventLine(colors, e)).join('\n'),
  };
};
