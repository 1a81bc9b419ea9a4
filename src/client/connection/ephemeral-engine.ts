import { join } from 'node:path';
import type { Bus } from '../../actors/bus/bus.js';
import { createLogger } from '../../actors/logger.js';
import type { Clock } from '../../contracts/clock.js';
import { connectTarget, managedNatsTarget, namespaceSeat } from '../../deployment/connect.js';
import { type RunningEngine, startEngineProcess } from '../../deployment/engine-process.js';
import { acquireLifecycleLock, type LifecycleHolder } from '../../deployment/lifecycle-lock.js';
import {
  readDeploymentState,
  removeDeploymentState,
  startManagedNats,
  stopManagedNats,
  writeDeploymentState,
} from '../../deployment/nats-server/index.js';
import { loadConfig } from '../../project/config.js';
import type { ProjectPaths } from '../../project/paths.js';

/** An engine with an in-process worker, on the project's managed nats-server, for one client. */
export interface EphemeralEngine {
  bus: Bus;
  engine: RunningEngine;
  /** `.lily/logs/cli-run.log` */
  log: string;
  /** Drains the engine and the bus; stops the nats-server if this engine started it. Idempotent. */
  stop(): Promise<void>;
}

/** Removes `.lily/deployment.json` if it still records this process's ephemeral engine. */
const forgetEphemeral = async (lilyRoot: string): Promise<void> => {
  const state = await readDeploymentState(lilyRoot);
  if (
    state &&
    !('invalid' in state) &&
    state.kind === 'ephemeral' &&
    state.processes[0]?.pid === process.pid
  ) {
    await removeDeploymentState(lilyRoot);
  }
};

export interface EphemeralStartOptions {
  /** Told once when another process holds the project's lifecycle lock and this one waits. */
  onWait?(holder: LifecycleHolder): void;
  /** True when an engine became available while waiting: then none is started (undefined). */
  engineAppeared?(): Promise<boolean>;
}

/**
 * A run submitted when no engine runs: takes the project's lifecycle lock (waiting while
 * another ephemeral engine, `lily up` or `lily down` holds it), starts the managed nats-server,
 * then an engine serving every executor in this process, without cron loops, recorded in
 * `.lily/deployment.json` as `kind: ephemeral` so other terminals find it (approvals, cancel,
 * tail, status) and `lily down` can stop it. `stop()` (the client's `close()`) stops the engine
 * and the managed server, removes the record and releases the lock. Returns undefined when
 * `engineAppeared()` says an engine came up while this waited (use that one).
 *
 * Throws `nats_server_missing`, `nats_server_start_failed`, `bus_unavailable`, and the
 * project errors of `startEngineProcess` (`config_invalid`, `policy_invalid`, ...).
 */
export const startEphemeralEngine = async (
  paths: ProjectPaths,
  clock: Clock,
  o: EphemeralStartOptions = {},
): Promise<EphemeralEngine | undefined> => {
  const lock = await acquireLifecycleLock(paths.root, 'ephemeral', {
    waitMs: Number.POSITIVE_INFINITY,
    ...(o.onWait ? { onWait: o.onWait } : {}),
  });
  if (await o.engineAppeared?.()) {
    await lock.release();
    return undefined;
  }
  const logFile = join(paths.logs, 'cli-run.log');
  const log = createLogger({ name: 'cli-run', file: logFile });
  const release = async () => {
    // Under the lock nobody else owns the managed server: this engine's is stopped with it.
    await stopManagedNats(paths.root, { graceMs: 5_000 }).catch(() => undefined);
    await forgetEphemeral(paths.root).catch(() => undefined);
    await lock.release();
  };
  let bus: Bus | undefined;
  try {
    const nats = await startManagedNats(paths.root);
    const config = await loadConfig(paths.config);
    const seat = await namespaceSeat(paths, config.namespace, 'engine');
    bus = await connectTarget(
      { ...managedNatsTarget(paths, config.namespace, nats.url, 'engine'), seat },
      'lily-client',
      log,
    );
    const engine = await startEngineProcess({
      dir: paths.dir,
      log,
      bus,
      clock,
      worker: { id: 'cli' },
      cron: false,
      // One run and gone: a projector thread would cost more to start than it saves.
      projector: 'inline',
    });
    await writeDeploymentState(paths.root, {
      version: 1,
      kind: 'ephemeral',
      namespace: config.namespace,
      nats: {
        managed: true,
        pid: nats.pid,
        url: nats.url,
        port: nats.port,
        startedAt: nats.startedAt,
        binary: nats.binary,
      },
      processes: [
        {
          role: 'engine',
          id: 'engine',
          pid: process.pid,
          startedAt: clock.now(),
          log: logFile,
          cmdlineMarker: process.argv.slice(1).join(' '),
        },
      ],
    });
    let stopping: Promise<void> | undefined;
    const connected = bus;
    return {
      bus: connected,
      engine,
      log: logFile,
      stop: () => {
        stopping ??= (async () => {
          try {
            await engine.stop();
            await connected.drain();
          } finally {
            await release();
            await log.flush();
          }
        })();
        return stopping;
      },
    };
  } catch (e) {
    await bus?.close();
    await release();
    throw e;
  }
};
