import { unwatchFile, watchFile } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Bus } from '../actors/bus/bus.js';
import { composeEngine, type EngineProjector } from '../actors/compose-engine.js';
import { Projector } from '../actors/engine/projector.js';
import type { RunHost } from '../actors/engine/run-host.js';
import { errorInfo } from '../actors/error-info.js';
import { CommandGuard } from '../actors/executors/command-guard.js';
import type { Logger } from '../actors/logger.js';
import type { PolicyGate } from '../actors/policy/policy-gate.js';
import { answerPings } from '../actors/runtime/sys.js';
import { LILY_VERSION } from '../actors/runtime/version.js';
import type { Scheduler } from '../actors/scheduler/scheduler.js';
import { loadOrCreateEngineKeys } from '../actors/trust/engine-keys.js';
import { countingLogger, RejectionCounter } from '../actors/trust/rejections.js';
import type { Clock } from '../contracts/clock.js';
import type { Tracer } from '../contracts/tracing.js';
import { type LilyStorage, openLilyStorage } from '../eventstore/storage.js';
import { createUlidGenerator, systemClock } from '../eventstore/system-ports.js';
import { writeReceiptsSync } from '../eventstore/write-receipts.js';
import { openProject, type Project } from '../project/open.js';
import { loadPolicy } from '../project/policy.js';
import { tightenPrivateState } from '../project/private-state.js';
import { connectTarget, resolveNatsTarget } from './connect.js';
import { ProjectorThread } from './projector-thread.js';
import { engineSharing, type LedgerKind, ledgerKindOf } from './shared-state.js';
import { startTelemetry } from './telemetry.js';
import { attemptPlace } from './worker-fingerprint.js';
import { answerWorkerPings, localDispatchLedger, type RunningWorker } from './worker-process.js';

export interface EngineProcessOptions {
  dir: string;
  log: Logger;
  nats?: string;
  /** An already connected bus (tests, ephemeral runs); `nats` is then ignored. */
  bus?: Bus;
  clock?: Clock;
  /** Also serve executors in this process (a one-process deployment). */
  worker?: { id: string; concurrency?: number };
  /** Run cron loops (default true). */
  cron?: boolean;
  /** Where workers share state (`lily up` passes it); default the config's `ledger`, else `lmdb`. */
  ledger?: LedgerKind;
  /** How long a dispatch may wait for a worker to start it (default 24 h). */
  sealTtlMs?: number;
  /** The tracer to use (tests); default: the project's telemetry settings (`startTelemetry`), owned and shut down here. */
  tracer?: Tracer;
  /**
   * Where receipts are written when `config.yaml` does not say (`projector`): `thread` (default)
   * or `inline` (the ephemeral engine of a one-shot command, where a thread would cost more to
   * start than it saves). Decision 032.
   */
  projector?: 'inline' | 'thread';
}

export interface RunningEngine {
  project: Project;
  storage: LilyStorage;
  bus: Bus;
  host: RunHost;
  scheduler: Scheduler;
  gate: PolicyGate;
  /** Writes receipts: on the engine's event loop, or in a thread of its own (config `projector`, decision 032). */
  projector: EngineProjector & { restarts?(): number };
  worker?: RunningWorker;
  stop(): Promise<void>;
}

/**
 * The engine process: opens the real adapters (the project's files, LMDB storage, the grant
 * key, the NATS bus) and hands them to `composeEngine`, then adds what only a process has: the
 * projector writing receipts under `.lily/runs` (in a thread, projector-thread.ts), policy reloads on file change, and answers to
 * `sys.ping`. Throws the project's errors (`config_invalid`, `policy_invalid`, ...),
 * `eventstore_unavailable`, `bus_unavailable`.
 */
export const startEngineProcess = async (options: EngineProcessOptions): Promise<RunningEngine> => {
  // Every refused message (bus schema, run inbox, the in-process worker's seal checks) is counted for `lily status`.
  const rejections = new RejectionCounter();
  const o = { ...options, log: countingLogger(options.log, rejections) };
  const clock = o.clock ?? systemClock;
  const project = await openProject(o.dir);
  const { paths, config, catalog } = project;
  const narrowed = await tightenPrivateState(paths.root);
  if (narrowed.length > 0)
    o.log.warn(
      {
        event: 'private_state.tightened',
        root: paths.root,
        count: narrowed.length,
        entries: narrowed.slice(0, 20),
      },
      `${paths.root} was reachable by other users: made it private (directories 0700, files 0600)`,
    );
  const storage = await openLilyStorage({ dir: paths.root, registry: catalog.schemas, clock });
  const keys = await loadOrCreateEngineKeys(paths.keys);
  const ownsBus = !o.bus;
  const bus =
    o.bus ??
    (await connectTarget(await resolveNatsTarget(paths, config, o.nats, 'engine'), 'lily-engine', o.log));
  const ns = config.namespace;
  const ledger = ledgerKindOf(config, o.ledger);
  // Workers elsewhere: the dispatch ledger and the artifact hand-off on JetStream.
  const shared = await engineSharing({
    ledger,
    bus,
    ns,
    config,
    artifacts: storage.artifacts,
    log: o.log,
  }).catch(async (e) => {
    if (ownsBus) await bus.close();
    await storage.close();
    throw e;
  });
  const tracer = o.tracer ?? (await startTelemetry({ service: 'lily-engine', config, log: o.log }));
  // Receipts: in a thread with its own handle on the log (default), or on the engine's event
  // loop (`projector: inline`, and the ephemeral engine); decision 032 says why, and why both
  // write with blocking file calls (half the main thread's time of the libuv pool's round trips).
  const projectorOptions = {
    runsDir: storage.runsDir,
    checkpointFile: join(paths.root, 'runs', '.projector-checkpoint'),
    log: o.log.child({ actor: 'projector' }),
  };
  const projector =
    (config.projector ?? o.projector ?? 'thread') === 'thread'
      ? new ProjectorThread({ ...projectorOptions, dbPath: join(paths.root, 'db') })
      : new Projector({ ...projectorOptions, store: storage.events, write: writeReceiptsSync });
  // The in-process worker checks every command again against its own guard (same policy, reloaded with the gate's).
  const commands = o.worker ? new CommandGuard({ policy: project.policy, workspace: paths.dir }) : undefined;
  const engine = composeEngine({
    store: storage.events,
    bus,
    ns,
    clock,
    ids: createUlidGenerator(clock),
    log: o.log,
    catalog,
    policy: project.policy,
    jobs: project.jobs,
    keys,
    ...(o.sealTtlMs !== undefined ? { sealTtlMs: o.sealTtlMs } : {}),
    workspace: paths.dir,
    cron: o.cron ?? true,
    // Cron follows the job files: added, edited and removed cron jobs apply within a second.
    jobsRefreshMs: 1_000,
    projector,
    ...(shared ? { artifactImport: shared.importArtifacts } : {}),
    tracer,
    ...(o.worker
      ? {
          worker: {
            id: o.worker.id,
            artifacts: storage.artifacts,
            ledger: shared
              ? shared.ledgerFor(o.worker.id, clock)
              : localDispatchLedger(storage, o.worker.id, clock),
            place: attemptPlace(),
            ...(commands ? { commands } : {}),
            ...(o.worker.concurrency !== undefined ? { concurrency: o.worker.concurrency } : {}),
          },
        }
      : {}),
  });
  const resumed = await engine.start();
  const { host, scheduler, gate } = engine;
  const workerPings =
    engine.worker && o.worker ? answerWorkerPings(bus, ns, engine.worker, o.worker.id, rejections) : [];
  if (engine.worker && o.worker) {
    o.log.info(
      {
        event: 'worker.started',
        id: o.worker.id,
        executors: engine.worker.names(),
        ...(commands ? { programSearch: commands.searchPath() } : {}),
      },
      'worker started',
    );
  }
  // Policy edits apply without a restart: a file that no longer parses keeps the old policy.
  const reloadPolicy = () => {
    loadPolicy(paths.policy)
      .then((p) => {
        engine.setPolicy(p);
        o.log.info({ event: 'policy.reloaded' }, 'policy reloaded');
      })
      .catch((e) =>
        o.log.error(
          { event: 'policy.reload_failed', error: errorInfo(e) },
          'policy.yaml is invalid; keeping the previous policy',
        ),
      );
  };
  watchFile(paths.policy, { interval: 1_000, persistent: false }, reloadPolicy);
  const startedAt = Date.now();
  const pings = answerPings(bus, ns, 'engine', () => ({
    actor: 'engine',
    role: 'engine',
    pid: process.pid,
    host: hostname(),
    startedAt,
    version: LILY_VERSION,
    inFlight: host.inFlight(),
    executors: engine.worker?.names() ?? [],
    details: {
      ...scheduler.stats(),
      projected: projector.position(),
      projectorRestarts: projector instanceof ProjectorThread ? projector.restarts() : 0,
      rejected: { ...rejections.counts() },
      ledger,
      ...(shared ? { replicas: shared.replicas } : {}),
    },
  }));
  o.log.info({ event: 'engine.started', ns, resumed, programSearch: gate.searchPath() }, 'engine started');
  const worker: RunningWorker | undefined = engine.worker && {
    worker: engine.worker,
    bus,
    // The engine stops its worker; stopping it alone ends its pings and its dispatches.
    async stop() {
      for (const p of workerPings) p.unsubscribe();
      await engine.worker?.stop();
    },
  };
  return {
    project,
    storage,
    bus,
    host,
    scheduler,
    gate,
    projector,
    ...(worker ? { worker } : {}),
    async stop() {
      unwatchFile(paths.policy, reloadPolicy);
      for (const p of [...pings, ...workerPings]) p.unsubscribe();
      await engine.stop();
      if (o.worker) o.log.info({ event: 'worker.stopped', id: o.worker.id }, 'worker stopped');
      if (ownsBus) await bus.drain();
      await storage.close();
      // After the actors stopped: every span they ended is flushed to the collector.
      if (!o.tracer) await tracer.shutdown();
      o.log.info({ event: 'engine.stopped' }, 'engine stopped');
    },
  };
};
