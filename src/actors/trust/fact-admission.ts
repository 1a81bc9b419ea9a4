import { partitionKey } from '../../machines/reducer/lifecycle.js';
import type { RunState } from '../../machines/types.js';
import type { DispatchKind } from './dispatch-kind.js';
import type { ClaimedAnswer } from './reply-proof.js';

/**
 * Whether a worker's (screened) fact answers a command the run's log recorded and the run
 * still waits for: `admit`, `refuse` (it names a dispatch of the run, with a valid proof, but
 * not as the log recorded it: another step, attempt, shard, gate or kind), or `stale` (an
 * authentic answer to a dispatch the run no longer waits on: a reply after a timeout, a shard
 * of a step that already failed fast; it changes nothing).
 */
export type Admission =
  | { verdict: 'admit' }
  | { verdict: 'refuse'; reason: 'run_not_started' | 'kind_mismatch' | 'answer_mismatch' }
  | { verdict: 'stale'; reason: 'dispatch_closed' };

/** The dispatch a state records under an id, with its kind, or undefined when none is outstanding. */
const recorded = (
  state: RunState,
  a: ClaimedAnswer,
): { kind: DispatchKind; stepId: string; attempt: number; shard?: string; gateId?: string } | undefined => {
  if (a.kind === 'partition') {
    const command = state.pending[partitionKey(a.stepId, a.attempt)];
    if (command?.type !== 'partition.plan') return undefined;
    return { kind: 'partition', stepId: command.data.stepId, attempt: command.data.attempt };
  }
  const inflight = state.inflight[a.dispatchId];
  if (!inflight) return undefined;
  const kind: DispatchKind =
    inflight.gateId !== undefined ? 'gate' : inflight.shard !== undefined ? 'shard' : 'step';
  return { ...inflight, kind };
};

/** Pure: the admission of a screened answer by the run in `state` (its log, folded). */
export const admitAnswer = (state: RunState | undefined, a: ClaimedAnswer): Admission => {
  if (!state) return { verdict: 'refuse', reason: 'run_not_started' };
  const r = recorded(state, a);
  if (!r) return { verdict: 'stale', reason: 'dispatch_closed' };
  if (r.kind !== a.kind) return { verdict: 'refuse', reason: 'kind_mismatch' };
  if (r.stepId !== a.stepId || r.attempt !== a.attempt || r.shard !== a.shard || r.gateId !== a.gateId) {
    return { verdict: 'refuse', reason: 'answer_mismatch' };
  }
  return { verdict: 'admit' };
};
