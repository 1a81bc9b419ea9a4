import { performance } from 'node:perf_hooks';
import type { Catalog } from '../../blueprints/catalog.js';
import type { Plan } from '../../blueprints/plan.js';
import { LilyError } from '../../contracts/errors.js';
import type { EventData } from '../../contracts/events/catalog.js';
import type { StoredEvent } from '../../contracts/events/envelope.js';
import { createRunProgram } from '../../machines/program.js';
import { replay, verify } from '../../machines/replay.js';

/** What a replay found: the state the program reaches, next to what the log recorded. */
export interface ReplayReport {
  runId: string;
  /** The status the replay reached. */
  status: string;
  /** The status `run.completed` recorded (`running` when there is none yet). */
  recordedStatus: string;
  verified: boolean;
  planHash: string;
  events: number;
  inbound: number;
  seq: number;
  ms: number;
  eventsPerSecond: number | null;
}

/**
 * Folds a run's log through the program of the plan pinned in its `run.started` (the plan as
 * it was, not as the job compiles today). `verify` also checks every recorded command against
 * what the program emits, and the XState machine against the reducer. Throws `run_not_found`
 * (no `run.started`), `replay_nondeterministic` (first diverging event in `data`),
 * `replay_plan_drift` (the pinned plan does not hash to the pinned hash).
 */
export const replayRun = (
  catalog: Catalog,
  runId: string,
  events: readonly StoredEvent[],
  o: { verify?: boolean },
): ReplayReport => {
  const started = events.find((e) => e.type === 'run.started');
  if (!started) {
    throw new LilyError('run_not_found', `run ${runId} has no run.started event: nothing to replay`, {
      runId,
      events: events.length,
    });
  }
  const data = started.data as EventData<'run.started'>;
  const program = createRunProgram(data.plan as unknown as Plan, { schemas: catalog.schemas });
  const t0 = performance.now();
  const result = o.verify ? verify(program, events, { checkMachine: true }) : replay(program, events);
  const ms = performance.now() - t0;
  const completed = events.findLast((e) => e.type === 'run.completed');
  return {
    runId,
    status: result.state.status,
    recordedStatus: (completed?.data as { status?: string } | undefined)?.status ?? 'running',
    verified: o.verify === true,
    planHash: program.planHash,
    events: events.length,
    inbound: result.inbound,
    seq: result.seq,
    ms: Math.round(ms * 1000) / 1000,
    eventsPerSecond: ms > 0 ? Math.round(events.length / (ms / 1000)) : null,
  };
};
