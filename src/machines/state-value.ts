import type { StateValue } from 'xstate';
import type { PlanIndex } from './program-index.js';
import type { RunState } from './types.js';

/**
 * The XState state value a run state corresponds to: `pending` before `run.started`,
 * `{ running: { <step>: <status> } }` while running, the run status once final.
 * The compiled machine is always in exactly this state (tested), so the fast fold and the
 * XState actor can be compared value for value.
 */
export const stateValueOf = (index: PlanIndex, state: RunState | undefined): StateValue => {
  if (!state) return 'pending';
  if (state.status !== 'running') return state.status;
  const running: Record<string, string> = {};
  for (const id of index.order) running[id] = state.steps[id]?.status ?? 'waiting';
  return { running };
};
