import type { PingReply } from '../../actors/messages.js';
import {
  type DaemonRecord,
  daemonAlive,
  managedNatsStatus,
  readDeploymentState,
} from '../../deployment/nats-server/index.js';
import type { ProjectSettings } from '../connection/live-target.js';
import { actorOf, deploymentBus, pingActor, pingEveryone } from './daemons.js';

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
  /** The machine it runs on, when it answered. */
  host: string | null;
  log: string;
  /**
   * Messages the process refused since it started (`message.rejected`, `dispatch.refused`
   * warn entries of its log), by reason; null when it does not answer or does not say.
   */
  rejected: { total: number; reasons: Record<string, number> } | null;
  details?: unknown;
}

/** A worker that answers in the namespace but was not started by this deployment (`lily worker` elsewhere). */
export interface RemoteWorkerStatus {
  /** Its ping actor: `worker-<id>`. */
  id: string;
  /** The machine it runs on, as it says. */
  host: string | null;
  pid: number;
  startedAt: number;
  uptimeMs: number;
  inFlight: number;
  executors: string[];
  version: string;
  /** Messages it refused since it started, by reason (as it reports them); null when it does not say. */
  rejected: ProcessStatus['rejected'];
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
      nats: { url: string; managed: boolean; status: string; listen?: string };
      /** Where the workers share state. */
      ledger: 'lmdb' | 'nats';
      processes: ProcessStatus[];
      /** Workers that connected from elsewhere (not in `.lily/deployment.json`), by id. */
      remote: RemoteWorkerStatus[];
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
    host: reply?.host ?? null,
    log: r.log,
    rejected: rejectedOf(reply?.details),
    ...(reply?.details !== undefined ? { details: reply.details } : {}),
  };
};

/** The workers among `answers` that the deployment did not start, one per actor, by id. */
const remoteWorkers = (answers: PingReply[], ours: Set<string>, now: number): RemoteWorkerStatus[] => {
  const byActor = new Map<string, PingReply>();
  for (const a of answers) if (a.role === 'worker' && !ours.has(a.actor)) byActor.set(a.actor, a);
  return [...byActor.values()]
    .map((a) => ({
      id: a.actor,
      host: a.host ?? null,
      pid: a.pid,
      startedAt: a.startedAt,
      uptimeMs: Math.max(0, now - a.startedAt),
      inFlight: a.inFlight,
      executors: a.executors,
      version: a.version,
      rejected: rejectedOf(a.details),
    }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
};

/**
 * Each process of the deployment with its health (sys.ping, 2 s), pid, host, uptime (by `now`),
 * runs in flight and executors, the NATS it uses, and the workers that connected from elsewhere
 * (everyone answering a broadcast ping within 1 s that the deployment did not start). Never
 * throws for a dead deployment: that is a status.
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
  let remote: RemoteWorkerStatus[] = [];
  try {
    const [replies, everyone] = await Promise.all([
      Promise.all(
        state.processes.map((p) =>
          bus && daemonAlive(p) ? pingActor(bus, s.ns, actorOf(p), 2_000) : undefined,
        ),
      ),
      bus ? pingEveryone(bus, s.ns, 1_000) : Promise.resolve([]),
    ]);
    const at = now();
    processes = state.processes.map((p, i) => processStatus(p, replies[i], at));
    remote = remoteWorkers(everyone, new Set(state.processes.map(actorOf)), at);
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
      ...(state.nats.managed && state.nats.listen ? { listen: state.nats.listen } : {}),
    },
    ledger: state.ledger ?? 'lmdb',
    processes,
    remote,
  };
};
