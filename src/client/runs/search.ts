import type { StoredEvent } from '../../contracts/events/envelope.js';
import type { EventStore } from '../../eventstore/event-store.js';
import { projectReceipt } from '../../eventstore/projections/receipt.js';
import { type RunListStatus, type RunSummary, runSummary } from './read.js';

/** How runs are picked by `runs.search` (every field narrows; none given: every run). */
export interface RunSearch {
  jobId?: string;
  /** `running` also matches runs requested and not yet started. */
  status?: RunListStatus;
  /** How the run was triggered: `manual`, `cron`, `rerun` or `api`. */
  trigger?: string;
  /** Requested at or after this time (epoch ms). */
  from?: number;
  /** Requested at or before this time (epoch ms). */
  to?: number;
  /** A run id, or the start of one (case-insensitive). */
  runId?: string;
  /** At most this many rows (default 50). */
  limit?: number;
}

/** A run as a list shows it: the summary of `runs.list` plus what a console filters and flags on. */
export interface RunRow extends RunSummary {
  /** `manual`, `cron`, `rerun`, `api`, or null when the log has no `run.requested`. */
  trigger: string | null;
  /** The run this one re-runs or forks, if any. */
  parentRunId: string | null;
  /** The step a fork re-ran from. */
  fromStep: string | null;
  dryRun: boolean | null;
  completedAt: number | null;
  error: { code: string; message: string } | null;
  /** Steps waiting for a person now: approvals to answer, indeterminate dispatches to resolve. */
  waiting: { approvals: number; indeterminate: number };
  /** The stream version (seq of its last event) the row was folded at. */
  version: number;
}

const rowOf = (stream: string, events: readonly StoredEvent[]): RunRow => {
  const receipt = projectReceipt(events);
  const trigger = receipt.trigger;
  const kind = typeof trigger?.kind === 'string' ? trigger.kind : null;
  return {
    ...runSummary(stream, events, receipt),
    trigger: kind,
    parentRunId:
      receipt.parent?.runId ?? (typeof trigger?.parentRunId === 'string' ? trigger.parentRunId : null),
    fromStep: receipt.parent?.fromStep ?? null,
    dryRun: receipt.dryRun,
    completedAt: receipt.timestamps.completedAt,
    error: receipt.error ? { code: receipt.error.code, message: receipt.error.message } : null,
    waiting: {
      approvals: receipt.steps.filter((s) => s.status === 'awaiting_approval').length,
      indeterminate: receipt.steps.filter((s) => s.status === 'indeterminate').length,
    },
    version: events.at(-1)?.seq ?? 0,
  };
};

const matches = (row: RunRow, o: RunSearch): boolean => {
  if (o.jobId !== undefined && row.jobId !== o.jobId) return false;
  if (
    o.status !== undefined &&
    row.status !== o.status &&
    !(o.status === 'running' && row.status === 'requested')
  )
    return false;
  if (o.trigger !== undefined && row.trigger !== o.trigger) return false;
  if (o.from !== undefined && (row.startedAt === null || row.startedAt < o.from)) return false;
  if (o.to !== undefined && (row.startedAt === null || row.startedAt > o.to)) return false;
  if (o.runId !== undefined && !row.runId.toUpperCase().startsWith(o.runId.trim().toUpperCase()))
    return false;
  return true;
};

/**
 * Run rows kept between searches: a run whose stream did not grow since it was folded is not
 * read again (one stream-version lookup per run), so a console that searches on every live
 * event costs a fold only for the runs that changed.
 */
export class RunSearchIndex {
  readonly #rows = new Map<string, RunRow>();

  /** Runs newest first (by request time, then run id); `total` counts the matches before `limit`. */
  async search(store: EventStore, o: RunSearch): Promise<{ runs: RunRow[]; total: number }> {
    const rows: RunRow[] = [];
    const streams = await store.listStreams('run/');
    const live = new Set(streams);
    for (const stream of this.#rows.keys()) if (!live.has(stream)) this.#rows.delete(stream);
    for (const stream of streams) {
      const version = await store.streamVersion(stream);
      let row = this.#rows.get(stream);
      if (!row || row.version !== version) {
        row = rowOf(stream, await store.readStream(stream));
        this.#rows.set(stream, row);
      }
      if (matches(row, o)) rows.push(row);
    }
    rows.sort((a, b) => (b.startedAt ?? 0) - (a.startedAt ?? 0) || (a.runId < b.runId ? 1 : -1));
    return { runs: rows.slice(0, o.limit ?? 50), total: rows.length };
  }
}
