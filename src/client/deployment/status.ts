import type { PingReply } from '../../actors/messages.js';
import {
  type DaemonRecord,
  daemonAlive,
  managedNatsStatus,
  readDeploymentState,
} from '../../deployment/nats-server/index.js';
import type { ProjectSettings } from '../connection/live-target.js';
import { actorOf, deploymentBus, pingActor } from './daemons.js';

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
  /**
   * Messages the process refused since it started (`message.rejected`, `dispatch.refused`
   * warn entries of its log), by reason; null when it does not answer or does not say.
   */
  rejected: { total: number; reasons: Record<string, number> } | null;
  details?: unknown;
}

/** The refusal counts a process reports in its ping details, read defensively (anyone may answer a ping). */
const rejectedOf = (details: unknown): ProcessStatus['rejected'] => {
  const r = (details as { rejected?: { total?: unknown; reasons?: unknown } } | undefined)?.rejected;
  if (!r || typeof r.total !== 'number' || typeof r.reasons !== 'object' || r.reasons === null) return null;
  const reasons: Record<string, number> = {};
  for (const [k, v] of Object.entries(r.reasons)) if (typeof v === 'number') reasons[k.slice(0, 80)] = v;
  return { total: r.total, reasons };
};

/** The deployment as it is now. `healthy` only when it is up and every process answers. */
export type DeploymentStatus =
  | {
      up: false;
      healthy: false;
      namespace: string;
      nats: { status: string; url?: string };
      processes: [];
      /** Why it reads as down when `.lily/deployment.json` exists but cannot be read. */
      invalid?: string;
    }
  | {
      up: true;
      healthy: boolean;
      /** `ephemeral`: the engine of a `lily jobs run` (it stops with that command). */
      kind: 'deployment' | 'ephemeral';
      namespace: string;
      nats: { url: string; managed: boolean; status: string };
      processes: ProcessStatus[];
    };

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
    rejected: rejectedOf(reply?.details),
    ...(reply?.details !== undefined ? { details: reply.details } : {}),
  };
};

/**
 * Each process of the deployment with its health (sys.ping, 2 s), pid, uptime (by `now`), runs
 * in flight and executors, and the NATS it uses. Never throws for a dead deployment: that is
 * a status.
 */
export const deploymentStatus = async (s: ProjectSettings, now: () => number): Promise<DeploymentStatus> => {
  const state = await readDeploymentState(s.paths.root);
  const managed = await managedNatsStatus(s.paths.root);
  if (!state || 'invalid' in state) {
    return {
      up: false,
      healthy: false,
      namespace: s.ns,
      nats: { status: managed.status, ...(managed.status === 'running' ? { url: managed.state.url } : {}) },
      processes: [],
      ...(state ? { invalid: state.invalid } : {}),
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
    const at = now();
    processes = state.processes.map((p, i) => processStatus(p, replies[i], at));
  } finally {
    await bus?.close();
  }
  return {
    up: true,
    healthy: processes.every((p) => p.health === 'ok'),
    kind: state.kind,
    namespace: state.namespace,
    nats: {
      url: state.nats.url,
      managed: state.nats.managed,
      status: state.nats.managed ? managed.status : 'external',
    },
    processes,
  };
};
