import { LilyError } from '../../contracts/errors.js';
import {
  type DaemonRecord,
  DEFAULT_GRACE_MS,
  readDeploymentState,
  removeDeploymentState,
  type StopOutcome,
  stopDaemon,
  stopManagedNats,
} from '../../deployment/nats-server/index.js';
import type { CliContext, Outcome } from '../context.js';
import { renderTable } from '../render/table.js';
import { projectSettings } from './live-target.js';

const stopAll = async (records: DaemonRecord[], graceMs: number) =>
  Promise.all(
    records.map(async (r) => ({ id: r.id, pid: r.pid, outcome: await stopDaemon(r, { graceMs }) })),
  );

/**
 * `lily down [--grace-ms n]`: SIGTERM the workers (they finish the steps in hand), then the
 * engine, each SIGKILLed if still there after the grace period; then the managed nats-server.
 * Only processes whose command line still carries their marker are signalled: a pid now used by
 * another program is reported `not_ours` and left alone. Removes `.lily/deployment.json`.
 * JSON `{processes: [{id, pid, outcome}], nats: {outcome, pid?}}`.
 */
export const down = async (ctx: CliContext, options: { graceMs?: string }): Promise<Outcome> => {
  const s = await projectSettings(ctx.dir);
  const graceMs = options.graceMs === undefined ? DEFAULT_GRACE_MS : Number(options.graceMs);
  if (!Number.isInteger(graceMs) || graceMs < 0) {
    throw new LilyError('usage_invalid', '--grace-ms must be a non-negative integer', {
      reason: '--grace-ms',
      value: options.graceMs,
    });
  }
  const state = await readDeploymentState(s.paths.root);
  const records = state && !('invalid' in state) ? state.processes : [];
  const workers = await stopAll(
    records.filter((r) => r.role !== 'engine'),
    graceMs,
  );
  const engines = await stopAll(
    records.filter((r) => r.role === 'engine'),
    graceMs,
  );
  const processes = [...engines, ...workers];
  // The managed server goes too, also when only an interrupted ephemeral run left it behind.
  const nats = await stopManagedNats(s.paths.root, { graceMs });
  await removeDeploymentState(s.paths.root);
  const outcomeText = (o: StopOutcome) =>
    o === 'not_ours' ? 'not ours (pid reused): left alone' : o.replace('_', ' ');
  return {
    data: { processes, nats },
    human: ({ colors: c }) => {
      if (processes.length === 0 && nats.outcome === 'not_running') return 'nothing was running';
      const rows = [
        ...processes.map((p) => [c.bold(p.id), String(p.pid), outcomeText(p.outcome)]),
        ...(nats.pid ? [[c.bold('nats-server'), String(nats.pid), outcomeText(nats.outcome)]] : []),
      ];
      return `${renderTable(c, ['PROCESS', 'PID', 'OUTCOME'], rows)}\n${c.green('down: nothing of this deployment is running')}`;
    },
  };
};
