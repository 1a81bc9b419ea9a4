import { LilyError } from '../../contracts/errors.js';
import type { StoredEvent } from '../../contracts/events/envelope.js';
import { isRunId } from '../../contracts/ids.js';
import type { EventStore } from '../../eventstore/event-store.js';
import type { RunReceipt } from '../../eventstore/projections/receipt-types.js';
import { type LilyStorage, openLilyStorage } from '../../eventstore/storage.js';
import { type ProjectPaths, requireProject } from '../../project/paths.js';

/**
 * Opens the project's storage (LMDB directly: no NATS, no engine needed), runs `fn`, closes.
 * Throws `project_not_initialized` when there is no `.lily/`.
 */
export const withStorage = async <T>(
  dir: string,
  fn: (storage: LilyStorage, paths: ProjectPaths) => Promise<T>,
): Promise<T> => {
  const paths = requireProject(dir);
  const storage = await openLilyStorage({ dir: paths.root });
  try {
    return await fn(storage, paths);
  } finally {
    await storage.close();
  }
};

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

/** One line of `lily runs list`. */
export interface RunRow {
  runId: string;
  jobId: string | null;
  status: RunReceipt['status'];
  /** Requested (else started) at, epoch ms. */
  startedAt: number | null;
  durationMs: number | null;
  steps: { ok: number; total: number };
}

export const runRow = (stream: string, events: readonly StoredEvent[], receipt: RunReceipt): RunRow => ({
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
