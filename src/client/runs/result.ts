import { join } from 'node:path';
import { isErrorCode } from '../../contracts/error-codes.js';
import { LilyError } from '../../contracts/errors.js';
import type { StoredEvent } from '../../contracts/events/envelope.js';
import type { BlueprintRunEnvelope } from '../../contracts/events/shared-schemas.js';
import { projectReceipt } from '../../eventstore/projections/receipt.js';
import type { RunReceipt } from '../../eventstore/projections/receipt-types.js';
import { receiptRelativeDir } from '../../eventstore/write-receipts.js';
import type { EngineMode } from '../connection/live-target.js';

/** How a run ended. */
export type FinalStatus = 'succeeded' | 'failed' | 'cancelled';

/** A finished run: its receipt (one fold of its log) and what a caller usually wants of it. */
export interface RunResult {
  runId: string;
  jobId: string;
  status: FinalStatus;
  /** The run's envelope (`{status, artifacts, references, payload}`), as `run.completed` carries it. */
  envelope: BlueprintRunEnvelope | null;
  /** The receipt, folded from the run's events (what `run_receipt.json` holds). */
  receipt: RunReceipt;
  /** Where the projector writes the receipt files (`.lily/runs/<job>/<ts>-<runId>`). */
  receiptDir: string;
  /** The engine that ran it, when this client submitted it. */
  engine?: EngineMode;
  /** For a failed run, its error: the code of the run (`job_policy_denied`, ...) with the step's own error lifted in. */
  error?: LilyError;
}

/** A failed run as its error: the step's own error (a policy rule and reasons, ...) lifted into message and data. */
export const runError = (receipt: RunReceipt): LilyError => {
  const error = receipt.error ?? { code: 'job_execution_failed', message: 'the run failed', data: {} };
  const { error: inner, ...rest } = error.data as {
    error?: { message?: string; data?: Record<string, unknown> };
  };
  const message = inner?.message ? `${error.message}: ${inner.message}` : error.message;
  return new LilyError(isErrorCode(error.code) ? error.code : 'job_execution_failed', message, {
    runId: receipt.runId,
    jobId: receipt.jobId,
    ...rest,
    ...(inner?.data ?? {}),
  });
};

/**
 * The result of a run from its complete event list (ending with `run.completed`): one fold.
 * Throws `run_not_found` when the events hold no `run.completed`.
 */
export const runResult = (
  events: readonly StoredEvent[],
  runsDir: string,
  engine: EngineMode | undefined,
): RunResult => {
  const receipt = projectReceipt(events);
  const status = receipt.status;
  if (status !== 'succeeded' && status !== 'failed' && status !== 'cancelled') {
    throw new LilyError('run_not_found', `run ${receipt.runId ?? '?'} has not completed`, {
      runId: receipt.runId,
      status,
    });
  }
  return {
    runId: receipt.runId ?? '',
    jobId: receipt.jobId ?? '',
    status,
    envelope: receipt.envelope,
    receipt,
    receiptDir: join(runsDir, receiptRelativeDir(receipt)),
    ...(engine ? { engine } : {}),
    ...(status === 'failed' ? { error: runError(receipt) } : {}),
  };
};
