import type { StoredEvent } from '../../contracts/events/envelope.js';
import type { ErrorInfo } from '../../contracts/events/shared-schemas.js';
import { applyReceiptEvent, initialReceiptState, type ReceiptState } from './receipt-fold.js';
import type { RunReceipt } from './receipt-types.js';

/** The failure to report when `run.completed` carries none: the latest failed attempt's error. */
const lastAttemptError = (r: ReceiptState): ErrorInfo | null => {
  let best: { at: number; error: ErrorInfo } | null = null;
  for (const step of r.steps) {
    for (const a of step.attempts) {
      if (a.error && (best === null || (a.endedAt ?? 0) >= best.at))
        best = { at: a.endedAt ?? 0, error: a.error };
    }
  }
  return best?.error ?? null;
};

/** The receipt a state stands for (does not modify the state). */
export const finalizeReceipt = (state: ReceiptState): RunReceipt => {
  const error = state.error ?? (state.status === 'failed' ? lastAttemptError(state) : null);
  return { ...state, error };
};

/**
 * Folds a run's events into its receipt. Pure and deterministic: the same events give the same
 * receipt, byte for byte once written with canonical JSON. `from` is a snapshot of the fold
 * state (see `initialReceiptState`) that `events` continue; it is copied, never modified.
 *
 * @example
 * const receipt = projectReceipt(await store.readStream(runStream(runId)));
 */
export const projectReceipt = (events: readonly StoredEvent[], from?: ReceiptState): RunReceipt => {
  const state = from ? structuredClone(from) : initialReceiptState();
  for (const e of events) applyReceiptEvent(state, e);
  return finalizeReceipt(state);
};

/** The fold state after `events` (for snapshots): `projectReceipt(rest, foldReceiptState(head))` equals `projectReceipt([...head, ...rest])`. */
export const foldReceiptState = (events: readonly StoredEvent[], from?: ReceiptState): ReceiptState => {
  const state = from ? structuredClone(from) : initialReceiptState();
  for (const e of events) applyReceiptEvent(state, e);
  return state;
};
