import { performance } from 'node:perf_hooks';
import type { Plan } from '../../blueprints/plan.js';
import { LilyError } from '../../contracts/errors.js';
import type { EventData } from '../../contracts/events/catalog.js';
import { createRunProgram } from '../../machines/program.js';
import { replay, verify } from '../../machines/replay.js';
import { catalogFor } from '../../project/open.js';
import type { CliContext, Outcome } from '../context.js';
import { colorStatus } from '../render/format.js';
import { renderFields } from '../render/table.js';
import { readRun, withStorage } from './run-store.js';

/**
 * `lily runs replay <runId> [--verify]`: folds the run's log through the program of the plan
 * pinned in its `run.started` (the plan as it was, not as the job compiles today). `--verify`
 * also checks every recorded command against what the program emits, and the XState machine
 * against the reducer, and fails with `replay_nondeterministic` (first diverging event in
 * `data`) or `replay_plan_drift` (the pinned plan does not hash to the pinned hash).
 * JSON `{runId, status, recordedStatus, verified, events, inbound, seq, ms, eventsPerSecond}`.
 */
export const replayRun = async (
  ctx: CliContext,
  runId: string,
  options: { verify?: boolean },
): Promise<Outcome> => {
  const catalog = await catalogFor(ctx.dir);
  const events = await withStorage(ctx.dir, ({ events }) => readRun(events, runId));
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
  const result = options.verify ? verify(program, events, { checkMachine: true }) : replay(program, events);
  const ms = performance.now() - t0;
  const completed = events.findLast((e) => e.type === 'run.completed');
  const recordedStatus = (completed?.data as { status?: string } | undefined)?.status ?? 'running';
  const out = {
    runId,
    status: result.state.status,
    recordedStatus,
    verified: options.verify === true,
    planHash: program.planHash,
    events: events.length,
    inbound: result.inbound,
    seq: result.seq,
    ms: Math.round(ms * 1000) / 1000,
    eventsPerSecond: ms > 0 ? Math.round(events.length / (ms / 1000)) : null,
  };
  return {
    data: out,
    human: ({ colors: c }) =>
      [
        renderFields(c, [
          ['run', c.bold(runId)],
          ['final status', colorStatus(c, out.status)],
          ['recorded', colorStatus(c, recordedStatus)],
          ['plan hash', out.planHash],
          ['events', `${out.events} replayed (${out.inbound} inbound)`],
          [
            'time',
            `${out.ms.toFixed(2)} ms${out.eventsPerSecond === null ? '' : `, ${out.eventsPerSecond} events/s`}`,
          ],
        ]),
        options.verify
          ? c.green('verified: every recorded command matches the program, and the machine agrees')
          : c.dim('--verify checks every recorded command'),
      ].join('\n'),
  };
};
