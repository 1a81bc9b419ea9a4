import type { DeploymentUp } from '../../client/index.js';
import type { CliContext, Outcome } from '../context.js';
import { renderFields, renderTable } from '../render/table.js';
import type { Colors } from '../render/ui.js';

/** A command-line integer (`--workers 2`): NaN for anything else, which the client refuses. */
const intArg = (value: string | undefined): number | undefined =>
  value === undefined ? undefined : /^\d+$/.test(value) ? Number(value) : Number.NaN;

const render = (ctx: CliContext, up: DeploymentUp) => (c: Colors) => {
  const rows = up.processes.map((p) => [c.bold(p.id), p.role, String(p.pid), p.log]);
  return [
    renderFields(c, [
      ['namespace', up.namespace],
      ['nats', `${up.nats.url}${up.nats.managed ? ` (managed, pid ${up.nats.pid})` : ' (external)'}`],
    ]),
    renderTable(c, ['PROCESS', 'ROLE', 'PID', 'LOG'], rows),
    up.alreadyUp
      ? c.yellow(`already up: nothing started (\`${ctx.lily('down')}\` first to change it)`)
      : c.green(`up: 1 engine, ${up.processes.length - 1} worker(s), every one answering sys.ping`),
  ].join('\n');
};

/**
 * `lily up [--workers n] [--timeout-ms t]`: the managed nats-server (unless `--nats`,
 * `LILY_NATS_URL` or the config's url name another), one engine and n worker daemons; returns
 * once each answers sys.ping. JSON `{alreadyUp, version, namespace, nats, processes}`.
 */
export const up = async (
  ctx: CliContext,
  options: { workers?: string; timeoutMs?: string },
): Promise<Outcome> => {
  const workers = intArg(options.workers);
  const timeoutMs = intArg(options.timeoutMs);
  const { alreadyUp, ...state } = await ctx.client.deployment.up({
    ...(workers !== undefined ? { workers } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
  });
  const result = { alreadyUp, ...state };
  return { data: result, human: ({ colors }) => render(ctx, result)(colors) };
};
