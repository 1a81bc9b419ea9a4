import type { EventData } from '../../contracts/index.js';
import type { PlanIndex } from '../program-index.js';
import type { RunEvent, RunState, StepState, Transition } from '../types.js';
import {
  onApproval,
  onIndeterminate,
  onPolicyDecided,
  onStepFailed,
  onStepSucceeded,
  onTimerFired,
} from './answers.js';
import { finishRun, settleIfQuiet } from './finish.js';
import { onGateAnswer, startGates } from './gates.js';
import { partitionKey } from './lifecycle.js';
import { onPartitionPlanned } from './partition.js';
import { startReady } from './settle.js';
import { Tx } from './tx.js';

const blank = (data: EventData<'run.started'>): RunState => ({
  v: 1,
  runId: data.runId,
  planHash: data.planHash,
  dryRun: data.dryRun,
  gatesOnly: data.parent?.gatesOnly ?? false,
  input: data.input,
  status: 'running',
  steps: {},
  active: 0,
  inflight: {},
  timers: {},
  pending: {},
  ...(data.machine !== undefined && data.machine > 1 ? { machine: data.machine } : {}),
});

/**
 * `run.started`: every step waits; memoized steps (forks) start succeeded with the parent's
 * output; the run timer is scheduled; steps with no unmet needs are entered. A gates-only
 * fork runs only the gates of memoized steps.
 */
export const startRun = (index: PlanIndex, event: RunEvent): Transition => {
  const data = event.data as EventData<'run.started'>;
  const steps: Record<string, StepState> = {};
  for (const id of index.order) {
    const memo = data.memo?.[id];
    steps[id] = memo
      ? {
          status: 'succeeded',
          attempt: 0,
          tries: 0,
          visits: 0,
          output: memo.output,
          artifacts: memo.artifacts,
          memoized: true,
        }
      : { status: 'waiting', attempt: 0, tries: 0, visits: 0 };
  }
  const tx = new Tx(index, { ...blank(data), steps }, event.at);
  const timeoutMs = index.plan.timeoutMs;
  if (timeoutMs !== undefined) {
    const timerId = `${data.runId}/run-timeout`;
    tx.emit(
      { type: 'timer.schedule', data: { timerId, fireAt: event.at + timeoutMs, purpose: 'run_timeout' } },
      timerId,
    );
    tx.putTimer(timerId, { purpose: 'run_timeout', timeoutMs });
  }
  if (tx.view.gatesOnly) {
    for (const id of index.order) {
      if (tx.step(id).memoized && tx.planStep(id).gates.length > 0) {
        tx.patchStep(id, { attempt: 1, visits: 1 });
        startGates(tx, id);
      }
    }
  } else {
    startReady(tx, index.order);
  }
  settleIfQuiet(tx);
  return done(tx);
};

const done = (tx: Tx): Transition => {
  const state = tx.result();
  return state.outcome && tx.commands.some((c) => c.type === 'run.complete')
    ? { state, commands: tx.commands, final: state.outcome }
    : { state, commands: tx.commands };
};

const NOTHING = (state: RunState): Transition => ({ state, commands: [] });

/**
 * The run machine's transition function: (plan, state, event) -> next state + commands.
 * Pure and total: unknown, stale or duplicate events (an answer for a dispatch no longer in
 * flight, a timer already cancelled, anything after the run ended) change nothing.
 */
export const reduce = (index: PlanIndex, state: RunState, event: RunEvent): Transition => {
  if (state.status !== 'running') return NOTHING(state);
  const tx = new Tx(index, state, event.at);
  switch (event.type) {
    case 'policy.decided':
      onPolicyDecided(tx, event.data as EventData<'policy.decided'>);
      break;
    case 'approval.granted':
      onApproval(tx, event.data as EventData<'approval.granted'>, true);
      break;
    case 'approval.denied':
      onApproval(tx, event.data as EventData<'approval.denied'>, false);
      break;
    case 'partition.planned': {
      const d = event.data as EventData<'partition.planned'>;
      onPartitionPlanned(tx, d, partitionKey(d.stepId, d.attempt));
      break;
    }
    case 'step.succeeded':
      onStepSucceeded(tx, event.data as EventData<'step.succeeded'>);
      break;
    case 'step.failed':
      onStepFailed(tx, event.data as EventData<'step.failed'>);
      break;
    case 'step.indeterminate':
      onIndeterminate(tx, event.data as EventData<'step.indeterminate'>);
      break;
    case 'gate.passed':
      onGateAnswer(tx, (event.data as EventData<'gate.passed'>).dispatchId, true);
      break;
    case 'gate.failed': {
      const d = event.data as EventData<'gate.failed'>;
      onGateAnswer(tx, d.dispatchId, false, d.error);
      break;
    }
    case 'timer.fired':
      onTimerFired(tx, event.data as EventData<'timer.fired'>);
      break;
    case 'run.cancel_requested':
      finishRun(tx, 'cancelled');
      break;
    default:
      return NOTHING(state);
  }
  return done(tx);
};
