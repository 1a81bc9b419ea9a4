import type { DeploymentUp } from '../../client/index.js';
import type { CliContext, Outcome } from '../context.js';
import { renderFields, renderTable } from '../render/table.js';
import type { Colors } from '../render/ui.js';

/** A command-line integer (`--workers 2`): NaN for anything else, which the client refuses. */
const intArg = (value: string | undefined): number | undefined =>
  value === undefined ? undefined : /^\d+$/.test(value) ? Number(value) : Number.NaN;

/** The address other machines use: a wildcard listen names no host, so say which to put there. */
const reachableAt = (listen: string): string =>
  listen.replace(/^(0\.0\.0\.0|\[::\]|::)(?=:\d+$)/, "<this machine's address>");

const render = (ctx: CliContext, up: DeploymentUp) => (c: Colors) => {
  const rows = up.processes.map((p) => [c.bold(p.id), p.role, String(p.pid), p.log]);
  return [
    renderFields(c, [
      ['namespace', up.namespace],
      [
        'nats',
        `${up.nats.url}${up.nats.managed ? ` (managed, pid ${up.nats.pid}${up.nats.listen ? `, listening on ${up.nats.listen}` : ''})` : ' (external)'}`,
      ],
      ['ledger', up.ledger ?? 'lmdb'],
    ]),
    renderTable(c, ['PROCESS', 'ROLE', 'PID', 'LOG'], rows),
    up.alreadyUp
      ? c.yellow(`already up: nothing started (\`${ctx.lily('down')}\` first to change it)`)
      : c.green(`up: 1 engine, ${up.processes.length - 1} worker(s), every one answering sys.ping`),
    ...(up.nats.managed && up.nats.listen
      ? [
          c.dim(
            `workers elsewhere: \`${ctx.lily('creds issue worker --out w.creds')}\`, copy the file, then on their machine \`lily worker --nats nats://${reachableAt(up.nats.listen)} --creds w.creds --dir <a directory>\` (docs/scale-out.md)`,
          ),
        ]
      : []),
  ].join('\n');
};

/**
 * `lily up [--workers n] [--timeout-ms t] [--listen HOST[:PORT]] [--no-engine-executors]`: the
 * managed nats-server (unless `--nats`, `LILY_NATS_URL` or the config's url name another), one
 * engine and n worker daemons; returns once each answers sys.ping. `--listen` makes the server
 * reachable from other machines; `--no-engine-executors` leaves every step to workers that
 * connect from elsewhere. JSON `{alreadyUp, version, namespace, nats, ledger, processes}`.
 */
export const up = async (
  ctx: CliContext,
  options: { workers?: string; timeoutMs?: string; listen?: string; engineExecutors?: boolean },
): Promise<Outcome> => {
  const workers = intArg(options.workers);
  const timeoutMs = intArg(options.timeoutMs);
  const { alreadyUp, ...state } = await ctx.client.deployment.up({
    ...(workers !== undefined ? { workers } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    ...(options.listen !== undefined ? { listen: options.listen } : {}),
    ...(options.engineExecutors === false ? { engineExecutors: false } : {}),
  });
  const result = { alreadyUp, ...state };
  return { data: result, human: ({ colors }) => render(ctx, result)(colors) };
};
