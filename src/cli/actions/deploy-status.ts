import type { Health } from '../../client/index.js';
import type { CliContext, Outcome } from '../context.js';
import { colorStatus, formatDuration } from '../render/format.js';
import { renderFields, renderTable } from '../render/table.js';

const HEALTH_TEXT: Record<Health, string> = { ok: 'ok', not_answering: 'not answering', dead: 'dead' };

/**
 * `lily status`: each process of the deployment with its health (sys.ping), host, pid, uptime,
 * runs in flight, executors and the messages it refused (by reason), the NATS it uses, and the
 * workers connected from elsewhere (host, pid, executors). Exit 0 only when a deployment is up and every
 * process answers; 1 otherwise (none, or one unhealthy), so scripts can wait on it.
 * JSON `{up, healthy, namespace, nats: {url, managed, status, listen?}, ledger, processes: [ProcessStatus], remote: [RemoteWorkerStatus]}`.
 */
export const status = async (ctx: CliContext): Promise<Outcome> => {
  const s = await ctx.client.deployment.status();
  if (!s.up) {
    const { invalid, ...data } = s;
    const note = invalid
      ? `.lily/deployment.json is unreadable (${invalid}): run \`${ctx.lily('down')}\``
      : undefined;
    return {
      data,
      human: ({ colors: c }) =>
        [
          note ?? `no deployment (\`${ctx.lily('up')}\` starts one)`,
          ...(s.nats.status === 'running' ? [c.dim(`managed nats-server running: ${s.nats.url ?? ''}`)] : []),
        ].join('\n'),
      exitCode: 1,
    };
  }
  const { processes, nats, healthy, remote } = s;
  return {
    data: s,
    exitCode: healthy ? 0 : 1,
    human: ({ colors: c }) => {
      const rows = processes.map((p) => [
        c.bold(p.id),
        p.role,
        p.host ?? '',
        String(p.pid),
        p.health === 'ok' ? colorStatus(c, 'ok') : c.red(HEALTH_TEXT[p.health]),
        formatDuration(p.uptimeMs),
        p.inFlight === null ? '' : String(p.inFlight),
        p.rejected === null ? '' : p.rejected.total > 0 ? c.yellow(String(p.rejected.total)) : '0',
        p.executors.join(', '),
      ]);
      const remoteRows = remote.map((w) => [
        c.bold(w.id),
        w.host ?? '?',
        String(w.pid),
        formatDuration(w.uptimeMs),
        String(w.inFlight),
        w.rejected === null ? '' : w.rejected.total > 0 ? c.yellow(String(w.rejected.total)) : '0',
        w.executors.join(', '),
      ]);
      // Why each process refused what it refused (forged, tampered or stale messages): warn entries in its log.
      const refused = [...processes, ...remote].flatMap((p) =>
        p.rejected && p.rejected.total > 0
          ? [
              `${p.id} refused: ${Object.entries(p.rejected.reasons)
                .map(([reason, n]) => `${reason} ${n}`)
                .join(', ')}`,
            ]
          : [],
      );
      return [
        renderFields(c, [
          ...(s.kind === 'ephemeral'
            ? [
                [
                  'engine',
                  c.yellow('ephemeral: the engine of a `lily jobs run`, it stops with that command'),
                ] as [string, string],
              ]
            : []),
          ['namespace', s.namespace],
          [
            'nats',
            `${nats.url} (${nats.managed ? `managed, ${colorStatus(c, nats.status === 'running' ? 'ok' : nats.status)}` : 'external'}${nats.listen ? `, listening on ${nats.listen}` : ''})`,
          ],
          ['ledger', s.ledger],
        ]),
        renderTable(
          c,
          ['PROCESS', 'ROLE', 'HOST', 'PID', 'HEALTH', 'UPTIME', 'IN FLIGHT', 'REFUSED', 'EXECUTORS'],
          rows,
        ),
        ...(remoteRows.length > 0
          ? [
              c.bold('workers connected from elsewhere'),
              renderTable(
                c,
                ['WORKER', 'HOST', 'PID', 'UPTIME', 'IN FLIGHT', 'REFUSED', 'EXECUTORS'],
                remoteRows,
              ),
            ]
          : []),
        ...refused.map((line) => c.yellow(line)),
        healthy
          ? c.green('healthy')
          : c.red(
              `unhealthy: see the logs in .lily/logs/, or \`${ctx.lily('down')}\` then \`${ctx.lily('up')}\``,
            ),
      ].join('\n');
    },
  };
};
