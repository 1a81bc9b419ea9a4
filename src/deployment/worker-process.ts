import { hostname } from 'node:os';
import type { Bus, BusSubscription } from '../actors/bus/bus.js';
import { CommandGuard } from '../actors/executors/command-guard.js';
import type { DispatchLedger } from '../actors/ledger/dispatch-ledger.js';
import { openLmdbDispatchLedger } from '../actors/ledger/lmdb-dispatch-ledger.js';
import type { Logger } from '../actors/logger.js';
import { executorFns } from '../actors/runtime/executor-fns.js';
import { answerPings } from '../actors/runtime/sys.js';
import { LILY_VERSION } from '../actors/runtime/version.js';
import { SealVerifier } from '../actors/trust/dispatch-seal.js';
import { loadLocalSealPublicKey, sealPublicKeyFromHex } from '../actors/trust/engine-keys.js';
import { countingLogger, RejectionCounter } from '../actors/trust/rejections.js';
import { Worker } from '../actors/worker/worker.js';
import type { Clock } from '../contracts/clock.js';
import type { Tracer } from '../contracts/tracing.js';
import { type LilyStorage, openLilyStorage } from '../eventstore/storage.js';
import { systemClock } from '../eventstore/system-ports.js';
import { openProject, type Project } from '../project/open.js';
import { connectTarget, type NatsTarget, resolveNatsTarget } from './connect.js';
import { watchPolicy } from './policy-watch.js';
import { startTelemetry } from './telemetry.js';
import { servableBy } from './worker-executors.js';

export interface WorkerProcessOptions {
  dir: string;
  id: string;
  log: Logger;
  /** A NATS url (else LILY_NATS_URL, the config, or the managed server). */
  nats?: string;
  /** An already connected bus (in-process deployments); `nats` is then ignored. */
  bus?: Bus;
  /** Connect here instead of the project's NATS (`lily worker --nats --creds`); `nats` is then ignored. */
  target?: NatsTarget;
  /** Serve this namespace instead of the config's (a credential issued for it says so). */
  namespace?: string;
  concurrency?: number;
  /** The project and storage of the engine this worker runs inside (one-process deployments). */
  shared?: { project: Project; storage: LilyStorage };
  /**
   * The engine's dispatch-seal public key (hex), e.g. from a credential's tags (`lily creds
   * issue worker`); default: the project's `.lily/keys/dispatch-seal.pub`.
   */
  sealPublicKey?: string;
  /** The tracer to use (tests); default: the project's telemetry settings (`startTelemetry`), owned and shut down here. */
  tracer?: Tracer;
}

export interface RunningWorker {
  worker: Worker;
  bus: Bus;
  stop(): Promise<void>;
}

/**
 * The dispatch ledger of workers on this machine: the LMDB table in the project's storage,
 * owned by this process (stale when it is gone).
 */
export const localDispatchLedger = (storage: LilyStorage, id: string, clock: Clock): DispatchLedger =>
  openLmdbDispatchLedger(storage, { owner: { worker: id, pid: process.pid, host: hostname() }, clock });

/** Answers `sys.ping` (and `sys.ping.worker-<id>`) for a worker: `lily status` lists it, with what it refused. */
export const answerWorkerPings = (
  bus: Bus,
  ns: string,
  worker: Worker,
  id: string,
  rejections?: RejectionCounter,
): BusSubscription[] => {
  const startedAt = Date.now();
  return answerPings(bus, ns, `worker-${id}`, () => ({
    actor: `worker-${id}`,
    role: 'worker',
    pid: process.pid,
    startedAt,
    version: LILY_VERSION,
    inFlight: worker.inFlight(),
    executors: worker.names(),
    ...(rejections ? { details: { rejected: { ...rejections.counts() } } } : {}),
  }));
};

/** Opens the project and its storage, connects, and serves every executor the catalog has. */
export const startWorkerProcess = async (options: WorkerProcessOptions): Promise<RunningWorker> => {
  const rejections = new RejectionCounter();
  const o = { ...options, log: countingLogger(options.log, rejections) };
  const project = o.shared?.project ?? (await openProject(o.dir));
  const ns = o.namespace ?? project.config.namespace;
  const fns = executorFns(project.catalog);
  const as = {
    role: 'worker' as const,
    executors: [...Object.keys(fns.executors), ...Object.keys(fns.partitioners)],
  };
  const target = o.bus
    ? undefined
    : (o.target ?? (await resolveNatsTarget(project.paths, project.config, o.nats, as)));
  const { executors, partitioners } = servableBy(fns, target?.credential, ns, o.log);
  const ownsBus = !o.bus;
  // Connected (and the namespace claimed) before anything is opened: a refusal leaves nothing behind.
  const bus = o.bus ?? (await connectTarget(target, `lily-worker-${o.id}`, o.log));
  let storage: LilyStorage | undefined = o.shared?.storage;
  let seals: SealVerifier;
  try {
    storage ??= await openLilyStorage({ dir: project.paths.root, registry: project.catalog.schemas });
    seals = new SealVerifier(
      sealPublicKeyFromHex(o.sealPublicKey ?? (await loadLocalSealPublicKey(project.paths.keys))),
    );
  } catch (e) {
    if (!o.shared) await storage?.close();
    if (ownsBus) await bus.close();
    throw e;
  }
  const opened = storage;
  // The worker checks every command against its own copy of the policy, reloaded when the file changes.
  const commands = new CommandGuard({ policy: project.policy, workspace: project.paths.dir });
  const unwatchPolicy = watchPolicy(project.paths.policy, o.log, (policy) => commands.setPolicy(policy));
  const tracer =
    o.tracer ??
    (await startTelemetry({ service: 'lily-worker', instance: o.id, config: project.config, log: o.log }));
  const worker = new Worker({
    id: o.id,
    bus,
    ns,
    clock: systemClock,
    log: o.log,
    catalog: project.catalog,
    executors,
    partitioners,
    artifacts: opened.artifacts,
    seals,
    ledger: localDispatchLedger(opened, o.id, systemClock),
    workspace: project.paths.dir,
    workspaceRules: project.policy.workspace,
    commands,
    concurrency: o.concurrency ?? 16,
    tracer,
  });
  worker.start();
  const pings = answerWorkerPings(bus, ns, worker, o.id, rejections);
  o.log.info(
    { event: 'worker.started', id: o.id, executors: worker.names(), programSearch: commands.searchPath() },
    'worker started',
  );
  return {
    worker,
    bus,
    async stop() {
      for (const p of pings) p.unsubscribe();
      unwatchPolicy();
      await worker.stop();
      if (ownsBus) await bus.drain();
      if (!o.shared) await opened.close();
      if (!o.tracer) await tracer.shutdown();
      o.log.info({ event: 'worker.stopped', id: o.id }, 'worker stopped');
    },
  };
};
