import type { StopOutcome } from '../../client/index.js';
import type { CliContext, Outcome } from '../context.js';
import { renderTable } from '../render/table.js';

const outcomeText = (o: StopOutcome) =>
  o === 'not_ours' ? 'not ours (pid reused): left alone' : o.replace('_', ' ');

/**
 * `lily down [--grace-ms n]`: SIGTERM the workers, then the engine (SIGKILL after the grace
 * period), then the managed nats-server; never a process that is not provably ours.
 * Processes of the project that no state file names (found by command line) are stopped too.
 * JSON `{processes: [{id, pid, outcome}], nats: {outcome, pid?}, orphans: [{id, pid, outcome}]}`.
 */
export const down = async (ctx: CliContext, options: { graceMs?: string }): Promise<Outcome> => {
  const graceMs =
    options.graceMs === undefined
      ? undefined
      : /^\d+$/.test(options.graceMs)
        ? Number(options.graceMs)
        : Number.NaN;
  const { processes, nats, orphans } = await ctx.client.deployment.down(
    graceMs === undefined ? {} : { graceMs },
  );
  return {
    data: { processes, nats, orphans },
    human: ({ colors: c }) => {
      if (processes.length === 0 && nats.outcome === 'not_running' && orphans.length === 0)
        return 'nothing was running';
      const rows = [
        ...processes.map((p) => [c.bold(p.id), String(p.pid), outcomeText(p.outcome)]),
        ...(nats.pid ? [[c.bold('nats-server'), String(nats.pid), outcomeText(nats.outcome)]] : []),
        ...orphans.map((p) => [c.bold(`${p.id} (no state)`), String(p.pid), outcomeText(p.outcome)]),
      ];
      return `${renderTable(c, ['PROCESS', 'PID', 'OUTCOME'], rows)}\n${c.green('down: nothing of this deployment is running')}`;
    },
  };
};
