import type { RunId } from '../../contracts/ids.js';
import type { InboundEvent, SchedMessage } from '../messages.js';
import { requestHash } from './idempotency.js';
import type { PreparedRun, RunRequest } from './prepare-run.js';
import type { RunProgress } from './run-index.js';

/**
 * The scheduler's decisions as pure functions: what it does given where runs stand (time and
 * producer come in as arguments). The Scheduler class reads the log and the index, calls
 * these, and carries out what they say.
 */

/**
 * A run starts now when forced (a cron tick with `overlap: allow`) or when its job has a free
 * slot and nobody waits ahead of it (FIFO); otherwise it queues.
 */
export const admission = (o: {
  force: boolean;
  active: number;
  concurrency: number;
  queued: number;
}): 'launch' | 'queue' => (o.force || (o.active < o.concurrency && o.queued === 0) ? 'launch' : 'queue');

/**
 * Cancelling a run: one never started is closed at once (`run.completed` cancelled); a started
 * one is asked to stop (`run.cancel_requested` to its run host, which cancels what it has in
 * flight); a completed one is left as it is.
 */
export const cancelAction = (progress: RunProgress): 'close' | 'request' | 'none' =>
  progress === 'requested' ? 'close' : progress === 'started' ? 'request' : 'none';

/**
 * Reconciling an active run with the log (after a bus reconnect): a completed run frees its
 * slot (its `run.completed` was missed); a run whose `run.started` never got into the log is
 * started again (the start was lost); others are left alone.
 */
export const reconcileAction = (progress: RunProgress): 'finish' | 'restart' | 'none' =>
  progress === 'completed' ? 'finish' : progress === 'requested' ? 'restart' : 'none';

/** Whether the head of a job's queue may start now (it was prepared; the job has a free slot). */
export const headMayStart = (active: number, prepared: PreparedRun): boolean =>
  active < prepared.spec.runtime.concurrency;

/** `run.started` for a prepared run, for its run host's inbox (deterministic id: re-sends dedupe). */
export const startedFact = (prepared: PreparedRun, at: number, producer: string): InboundEvent => ({
  id: `${prepared.started.runId}/started`,
  type: 'run.started',
  at,
  data: prepared.started,
  producer,
});

/** `run.cancel_requested` for a started run. */
export const cancelRequestedFact = (
  runId: RunId,
  by: string,
  reason: string | undefined,
  at: number,
  producer: string,
): InboundEvent => ({
  id: `${runId}/cancel_requested`,
  type: 'run.cancel_requested',
  at,
  data: { by, ...(reason !== undefined ? { reason } : {}) },
  producer,
});

/** `timer.fired` for a run timer (one id per timer: a timer fires once in the log). */
export const timerFiredFact = (timerId: string, firedAt: number, producer: string): InboundEvent => ({
  id: `timer/${timerId}/fired`,
  type: 'timer.fired',
  at: firedAt,
  data: { timerId, firedAt },
  producer,
});

/** The run request a `run.request` bus message makes (manual, or a rerun), triggered `at`. */
export const runRequestOf = (
  msg: Extract<SchedMessage, { type: 'run.request' }>,
  at: number,
): RunRequest => ({
  jobId: msg.jobId,
  ...(msg.input !== undefined ? { input: msg.input } : {}),
  ...(msg.dryRun !== undefined ? { dryRun: msg.dryRun } : {}),
  ...(msg.principal !== undefined ? { principal: msg.principal } : {}),
  trigger: { kind: msg.rerun ? 'rerun' : 'manual', at },
  ...(msg.rerun ? { rerun: msg.rerun } : {}),
  ...(msg.idempotencyKey !== undefined
    ? { idempotency: { key: msg.idempotencyKey, requestHash: requestHash(msg) } }
    : {}),
});
