import type { PingReply } from '../../actors/messages.js';
import {
  type DaemonRecord,
  daemonAlive,
  managedNatsStatus,
  readDeploymentState,
} from '../../deployment/nats-server/index.js';
import type { CliContext, Outcome } from '../context.js';
import { colorStatus, formatDuration } from '../render/format.js';
import { renderFields, renderTable } from '../render/table.js';
import { actorOf, deploymentBus, pingActor } from './deployment.js';
import { projectSettings } from './live-target.js';

/** `ok` (answers sys.ping), `not_answering` (alive, silent), `dead` (gone, or its pid is another program's). */
export type Health = 'ok' | 'not_answering' | 'dead';

export interface ProcessStatus {
  id: string;
  role: string;
  pid: number;
  health: Health;
  startedAt: number;
  uptimeMs: number | null;
  inFlight: number | null;
  executors: string[];
  log: string;
  details?: unknown;
}

const processStatus = (r: DaemonRecord, reply: PingReply | undefined, now: number): ProcessStatus => {
  const health: Health = !daemonAlive(r) ? 'dead' : reply ? 'ok' : 'not_answering';
  return {
    id: r.id,
    role: r.role,
    pid: r.pid,
    health,
    startedAt: reply?.startedAt ?? r.startedAt,
    uptimeMs: health === 'dead' ? null : now - (reply?.startedAt ?? r.startedAt),
    inFlight: reply?.inFlight ?? null,
    executors: reply?.executors ?? [],
    log: r.log,
    ...(reply?.details !== undefined ? { details: reply.details } : {}),
  };
};

const HEALTH_TEXT: Record<Health, string> = { ok: 'ok', not_answering: 'not answering', dead: 'dead' };

/**
 * `lily status`: each process of the deployment with its health (sys.ping), pid, uptime, runs
 * in flight and executors, and the NATS it uses. Exit 0 only when a deployment is up and every
 * process answers; 1 otherwise (none, or one unhealthy), so scripts can wait on it.
 * JSON `{up, healthy, namespace, nats: {url, managed, status}, processes: [ProcessStatus]}`.
 */
export const status = async (ctx: CliContext): Promise<Outcome> => {
  const s = await projectSettings(ctx.dir);
  const state = await readDeploymentState(s.paths.root);
  const managed = await managedNatsStatus(s.paths.root);
  const natsStatus = managed.status;
  if (!state || 'invalid' in state) {
    const note = state
      ? `.lily/deployment.json is unreadable (${state.invalid}): run \`lily down\``
      : undefined;
    return {
      data: { up: false, healthy: false, namespace: s.ns, nats: { status: natsStatus }, processes: [] },
      human: ({ colors: c }) =>
        [
          note ?? 'no deployment (`lily up` starts one)',
          ...(natsStatus === 'running'
            ? [c.dim(`managed nats-server running: ${managed.status === 'running' ? managed.state.url : ''}`)]
            : []),
        ].join('\n'),
      exitCode: 1,
    };
  }
  const bus = await deploymentBus(s.paths.root, state);
  let processes: ProcessStatus[];
  try {
    const replies = await Promise.all(
      state.processes.map((p) =>
        bus && daemonAlive(p) ? pingActor(bus, s.ns, actorOf(p), 2_000) : undefined,
      ),
    );
    const now = Date.now();
    processes = state.processes.map((p, i) => processStatus(p, replies[i], now));
  } finally {
    await bus?.close();
  }
  const healthy = processes.every((p) => p.health === 'ok');
  const nats = {
    url: state.nats.url,
    managed: state.nats.managed,
    status: state.nats.managed ? natsStatus : 'external',
  };
  return {
    data: { up: true, healthy, namespace: state.namespace, nats, processes },
    exitCode: healthy ? 0 : 1,
    human: ({ colors: c }) => {
      const rows = processes.map((p) => [
        c.bold(p.id),
        p.role,
        String(p.pid),
        p.health === 'ok' ? colorStatus(c, 'ok') : c.red(HEALTH_TEXT[p.health]),
        formatDuration(p.uptimeMs),
        p.inFlight === null ? '' : String(p.inFlight),
        p.executors.join(', '),
      ]);
      return [
        renderFields(c, [
          ['namespace', state.namespace],
          [
            'nats',
            `${nats.url} (${state.nats.managed ? `managed, ${colorStatus(c, natsStatus === 'running' ? 'ok' : natsStatus)}` : 'external'})`,
          ],
        ]),
        renderTable(c, ['PROCESS', 'ROLE', 'PID', 'HEALTH', 'UPTIME', 'IN FLIGHT', 'EXECUTORS'], rows),
        healthy
          ? c.green('healthy')
          : c.red('unhealthy: see the logs in .lily/logs/, or `lily down` then `lily up`'),
      ].join('\n');
    },
  };
};
