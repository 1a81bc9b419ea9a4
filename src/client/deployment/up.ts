import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Bus } from '../../actors/bus/bus.js';
import type { Clock } from '../../contracts/clock.js';
import { LilyError } from '../../contracts/errors.js';
import { daemonEnv, resolveNatsTarget } from '../../deployment/connect.js';
import { acquireLifecycleLock } from '../../deployment/lifecycle-lock.js';
import {
  type DaemonRecord,
  type DeploymentState,
  daemonAlive,
  readDeploymentState,
  removeDeploymentState,
  spawnDaemon,
  startManagedNats,
  stopDaemon,
  stopManagedNats,
  writeDeploymentState,
} from '../../deployment/nats-server/index.js';
import type { ListenAddress } from '../../deployment/nats-server/network.js';
import type { ProjectSettings } from '../connection/live-target.js';
import { actorOf, deploymentBus, pingActor, planDaemons } from './daemons.js';

/** A deployment `up` found running or started: its recorded state, and whether it was already up. */
export type DeploymentUp = DeploymentState & { alreadyUp: boolean };

const logTail = async (file: string): Promise<string> =>
  (await readFile(file, 'utf8').catch(() => '')).split('\n').slice(-8).join('\n');

/** The NATS of the new deployment: an explicit url (option, env, config), else the managed server. */
const natsFor = async (
  s: ProjectSettings,
  nats: string | undefined,
  listen: ListenAddress | undefined,
): Promise<DeploymentState['nats']> => {
  const target = await resolveNatsTarget(s.paths, s.config, nats);
  if (target && target.source !== 'managed') {
    if (listen) {
      throw new LilyError(
        'usage_invalid',
        `--listen is for the managed nats-server; this project uses the NATS at ${target.url}`,
        { reason: '--listen', url: target.url },
      );
    }
    return { managed: false, url: target.url };
  }
  const m = await startManagedNats(s.paths.root, listen ? { listen } : {});
  return {
    managed: true,
    pid: m.pid,
    url: m.url,
    port: m.port,
    startedAt: m.startedAt,
    binary: m.binary,
    ...(m.listen ? { listen: m.listen } : {}),
  };
};

/**
 * Where the workers of a new deployment share state: the config's `ledger`, else `nats` when the
 * deployment listens beyond loopback (workers will come from elsewhere), else `lmdb`.
 */
export const deploymentLedger = (s: Pick<ProjectSettings, 'config'>, listen: ListenAddress | undefined) =>
  s.config.ledger ?? (listen ? 'nats' : 'lmdb');

const startFailed = (r: DaemonRecord, what: string, tail: string) =>
  new LilyError('deployment_start_failed', `${r.id} (pid ${r.pid}) ${what}: see ${r.log}`, {
    process: r.id,
    pid: r.pid,
    log: r.log,
    logTail: tail,
  });

/** Pings until every process answers; throws `deployment_start_failed` for the first that dies or stays silent. */
const awaitPings = async (
  bus: Bus | undefined,
  ns: string,
  records: DaemonRecord[],
  o: { timeoutMs: number; clock: Clock },
) => {
  const deadline = o.clock.now() + o.timeoutMs;
  const waiting = new Set(records);
  while (waiting.size > 0) {
    for (const r of [...waiting]) {
      if (!daemonAlive(r)) throw startFailed(r, 'exited', await logTail(r.log));
      if (bus && (await pingActor(bus, ns, actorOf(r), 250))) waiting.delete(r);
    }
    if (waiting.size > 0 && o.clock.now() > deadline) {
      const r = [...waiting][0] as DaemonRecord;
      throw startFailed(r, `did not answer sys.ping within ${o.timeoutMs} ms`, await logTail(r.log));
    }
    if (waiting.size > 0) await new Promise((res) => setTimeout(res, 100));
  }
};

/** How long `up` waits for another `up` or `down` of the project to finish. */
const LOCK_WAIT_MS = 60_000;

/**
 * Starts the managed nats-server (unless an explicit NATS is named), one engine and `workers`
 * worker daemons, recorded in `.lily/deployment.json`; resolves once each answers sys.ping.
 * Already up: starts nothing. A stale or partial deployment (dead pids) is stopped and started
 * afresh. On failure everything this call started is stopped again. Holds the project's
 * lifecycle lock meanwhile: a concurrent `up` waits and then finds this deployment up; while an
 * ephemeral engine runs (`lily jobs run` without a deployment) `up` refuses with
 * `lifecycle_busy` rather than adopt a nats-server that is about to stop.
 *
 * Throws `nats_server_missing`, `nats_server_start_failed`, `deployment_start_failed`,
 * `lifecycle_busy`.
 */
interface UpOptions {
  workers: number;
  timeoutMs: number;
  nats: string | undefined;
  clock: Clock;
  /** Make the managed nats-server reachable from other machines. */
  listen?: ListenAddress;
  /** false: the engine runs no executors even with no worker daemons. */
  engineExecutors?: boolean;
}

export const deploymentUp = async (s: ProjectSettings, o: UpOptions): Promise<DeploymentUp> => {
  const lock = await acquireLifecycleLock(s.paths.root, 'up', {
    waitMs: LOCK_WAIT_MS,
    refuseIf: (h) => h.what === 'ephemeral',
  });
  try {
    return await startDeployment(s, o);
  } finally {
    await lock.release();
  }
};

const startDeployment = async (s: ProjectSettings, o: UpOptions): Promise<DeploymentUp> => {
  const existing = await readDeploymentState(s.paths.root);
  if (existing && !('invalid' in existing)) {
    const alive = existing.processes.filter(daemonAlive);
    if (existing.kind === 'deployment' && alive.length === existing.processes.length && alive.length > 0)
      return { ...existing, alreadyUp: true };
    await Promise.all(alive.map((p) => stopDaemon(p, { graceMs: 5_000 })));
  }
  const nats = await natsFor(s, o.nats, o.listen);
  const ledger = deploymentLedger(s, o.listen);
  const records: DaemonRecord[] = [];
  const state = (): DeploymentState => ({
    version: 1,
    kind: 'deployment',
    namespace: s.ns,
    nats,
    ledger,
    processes: records,
  });
  let bus: Bus | undefined;
  try {
    const daemons = planDaemons(s.paths.dir, o.workers, nats.managed ? undefined : nats.url, {
      ledger,
      ...(o.engineExecutors === undefined ? {} : { engineExecutors: o.engineExecutors }),
    });
    for (const plan of daemons) {
      const log = join(s.paths.logs, `${plan.id}.log`);
      const common = { role: plan.role, id: plan.id, log, cmdlineMarker: plan.marker, cwd: s.paths.dir };
      records.push(
        await spawnDaemon({ ...common, command: process.execPath, args: plan.args, env: daemonEnv() }),
      );
      await writeDeploymentState(s.paths.root, state());
    }
    bus = await deploymentBus(s.paths.root, state());
    await awaitPings(bus, s.ns, records, o);
    return { ...state(), alreadyUp: false };
  } catch (e) {
    await Promise.all(records.map((r) => stopDaemon(r, { graceMs: 5_000 })));
    if (nats.managed) await stopManagedNats(s.paths.root, { graceMs: 5_000 });
    await removeDeploymentState(s.paths.root);
    throw e;
  } finally {
    await bus?.close();
  }
};
