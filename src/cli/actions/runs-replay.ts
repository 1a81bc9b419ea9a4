import type { CliContext, Outcome } from '../context.js';
import { colorStatus } from '../render/format.js';
import { renderFields } from '../render/table.js';

/**
 * `lily runs replay <runId> [--verify]`: folds the run's log through the program of the plan
 * pinned in its `run.started`. `--verify` also checks every recorded command and the machine,
 * and fails with `replay_nondeterministic` or `replay_plan_drift`.
 * JSON `{runId, status, recordedStatus, verified, planHash, events, inbound, seq, ms, eventsPerSecond}`.
 */
export const replayRun = async (
  ctx: CliContext,
  runId: string,
  options: { verify?: boolean },
): Promise<Outcome> => {
  const out = await ctx.client.runs.get(runId).replay({ verify: options.verify === true });
  return {
    data: out,
    human: ({ colors: c }) =>
      [
        renderFields(c, [
          ['run', c.bold(runId)],
          ['final status', colorStatus(c, out.status)],
          ['recorded', colorStatus(c, out.recordedStatus)],
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
