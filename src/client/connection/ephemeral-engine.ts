import { join } from 'node:path';
import type { Bus } from '../../actors/bus/bus.js';
import { createLogger } from '../../actors/logger.js';
import type { Clock } from '../../contracts/clock.js';
import { connectTarget, managedNatsTarget, namespaceSeat } from '../../deployment/connect.js';
import { type RunningEngine, startEngineProcess } from '../../deployment/engine-process.js';
import { startManagedNats, stopManagedNats } from '../../deployment/nats-server/index.js';
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

/**
 * A run submitted when no engine runs: starts the managed nats-server (or reuses a running
 * one, which is then left running), then an engine serving every executor in this process,
 * without cron loops. Everything stops with `stop()` (the client's `close()`).
 *
 * Throws `nats_server_missing`, `nats_server_start_failed`, `bus_unavailable`, and the
 * project errors of `startEngineProcess` (`config_invalid`, `policy_invalid`, ...).
 */
export const startEphemeralEngine = async (paths: ProjectPaths, clock: Clock): Promise<EphemeralEngine> => {
  const logFile = join(paths.logs, 'cli-run.log');
  const log = createLogger({ name: 'cli-run', file: logFile });
  const nats = await startManagedNats(paths.root);
  const stopNats = async () => {
    if (!nats.reused) await stopManagedNats(paths.root, { graceMs: 5_000 });
  };
  let bus: Bus | undefined;
  try {
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
            await stopNats();
            await log.flush();
          }
        })();
        return stopping;
      },
    };
  } catch (e) {
    await bus?.close();
    await stopNats();
    throw e;
  }
};
