import { LilyError } from '../../contracts/errors.js';
import type { StoredEvent } from '../../contracts/events/envelope.js';
import { isRunId } from '../../contracts/ids.js';
import type { EventStore } from '../../eventstore/event-store.js';
import { projectReceipt } from '../../eventstore/projections/receipt.js';
import type { RunReceipt } from '../../eventstore/projections/receipt-types.js';

/** A run's events. Throws `run_not_found` `{runId}` for an unknown (or malformed) id. */
export const readRun = async (events: EventStore, runId: string): Promise<StoredEvent[]> => {
  const list = isRunId(runId) ? await events.readStream(`run/${runId}`) : [];
  if (list.length === 0) {
    throw new LilyError('run_not_found', `no run ${runId} in the log`, {
      runId,
      ...(isRunId(runId) ? {} : { reason: 'not a run id (a 26-character ULID)' }),
    });
  }
  return list;
};

/** Steps of the pinned plan (from run.started), or those the receipt has seen. */
export const planStepCount = (events: readonly StoredEvent[], receipt: RunReceipt): number => {
  const started = events.find((e) => e.type === 'run.started');
  const steps = (started?.data as { plan?: { steps?: unknown } } | undefined)?.plan?.steps;
  return Array.isArray(steps) ? steps.length : receipt.steps.length;
};

/** One run in a list: what `lily runs list` shows. */
export interface RunSummary {
  runId: string;
  jobId: string | null;
  status: RunReceipt['status'];
  /** Requested (else started) at, epoch ms. */
  startedAt: number | null;
  durationMs: number | null;
  steps: { ok: number; total: number };
}

export const runSummary = (
  stream: string,
  events: readonly StoredEvent[],
  receipt: RunReceipt,
): RunSummary => ({
  runId: receipt.runId ?? stream.slice('run/'.length),
  jobId: receipt.jobId,
  status: receipt.status,
  startedAt: receipt.timestamps.requestedAt ?? receipt.timestamps.startedAt,
  durationMs: receipt.timestamps.durationMs,
  steps: {
    ok: receipt.steps.filter((s) => s.status === 'succeeded').length,
    total: planStepCount(events, receipt),
  },
});

/** Run statuses a list can filter on (`requested` counts as `running`). */
export const RUN_LIST_STATUSES = ['running', 'succeeded', 'failed', 'cancelled'] as const;
/** One of `RUN_LIST_STATUSES`. */
export type RunListStatus = (typeof RUN_LIST_STATUSES)[number];

/** Filters and paging of `client.runs.list()`. */
export interface ListRunsOptions {
  jobId?: string;
  status?: RunListStatus;
  /** At most this many (default 20). */
  limit?: number;
}

const matches = (row: RunSummary, o: ListRunsOptions): boolean =>
  (o.jobId === undefined || row.jobId === o.jobId) &&
  (o.status === undefined ||
    row.status === o.status ||
    (o.status === 'running' && row.status === 'requested'));

/**
 * Runs newest first (by request time, then run id), each folded from its stream.
 * `total` counts the matching runs before `limit`.
 */
export const listRuns = async (
  events: EventStore,
  o: ListRunsOptions,
): Promise<{ runs: RunSummary[]; total: number }> => {
  const rows: RunSummary[] = [];
  for (const stream of await events.listStreams('run/')) {
    const list = await events.readStream(stream);
    const row = runSummary(stream, list, projectReceipt(list));
    if (matches(row, o)) rows.push(row);
  }
  rows.sort((a, b) => (b.startedAt ?? 0) - (a.startedAt ?? 0) || (a.runId < b.runId ? 1 : -1));
  return { runs: rows.slice(0, o.limit ?? 20), total: rows.length };
};
