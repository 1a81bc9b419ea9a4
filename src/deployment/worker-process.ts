import { join } from 'node:path';
import type { Bus } from '../actors/bus/bus.js';
import { CommandGuard } from '../actors/executors/command-guard.js';
import { DispatchLedger } from '../actors/ledger/lmdb-dispatch-ledger.js';
import type { Logger } from '../actors/logger.js';
import { GrantSigner, loadOrCreateGrantKey } from '../actors/policy/grants.js';
import { executorFns } from '../actors/runtime/executor-fns.js';
import { answerPings } from '../actors/runtime/sys.js';
import { LILY_VERSION } from '../actors/runtime/version.js';
import { Worker } from '../actors/worker/worker.js';
import { type LilyStorage, openLilyStorage } from '../eventstore/storage.js';
import { systemClock } from '../eventstore/system-ports.js';
import { openProject, type Project } from '../project/open.js';
import { connectTarget, resolveNatsTarget } from './connect.js';
import { watchPolicy } from './policy-watch.js';

export interface WorkerProcessOptions {
  dir: string;
  id: string;
  log: Logger;
  /** A NATS url (else LILY_NATS_URL, the config, or the managed server). */
  nats?: string;
  /** An already connected bus (in-process deployments); `nats` is then ignored. */
  bus?: Bus;
  concurrency?: number;
  /** The project and storage of the engine this worker runs inside (one-process deployments). */
  shared?: { project: Project; storage: LilyStorage };
}

export interface RunningWorker {
  worker: Worker;
  bus: Bus;
  stop(): Promise<void>;
}

/** Opens the project and its storage, connects, and serves every executor the catalog has. */
export const startWorkerProcess = async (o: WorkerProcessOptions): Promise<RunningWorker> => {
  const project = o.shared?.project ?? (await openProject(o.dir));
  const storage =
    o.shared?.storage ??
    (await openLilyStorage({ dir: project.paths.root, registry: project.catalog.schemas }));
  const signer = new GrantSigner(await loadOrCreateGrantKey(join(project.paths.keys, 'grant.key')));
  const ownsBus = !o.bus;
  const bus =
    o.bus ??
    (await connectTarget(
      await resolveNatsTarget(project.paths, project.config, o.nats),
      `lily-worker-${o.id}`,
      o.log,
    ));
  const { executors, partitioners } = executorFns(project.catalog);
  const commands = new CommandGuard({ policy: project.policy, workspace: project.paths.dir });
  const unwatchPolicy = watchPolicy(project.paths.policy, o.log, (policy) => commands.setPolicy(policy));
  const worker = new Worker({
    id: o.id,
    bus,
    ns: project.config.namespace,
    clock: systemClock,
    log: o.log,
    catalog: project.catalog,
    executors,
    partitioners,
    artifacts: storage.artifacts,
    signer,
    ledger: new DispatchLedger(storage.root, o.id),
    workspace: project.paths.dir,
    workspaceRules: project.policy.workspace,
    commands,
    concurrency: o.concurrency ?? 16,
  });
  worker.start();
  const startedAt = Date.now();
  const pings = answerPings(bus, project.config.namespace, `worker-${o.id}`, () => ({
    actor: `worker-${o.id}`,
    role: 'worker',
    pid: process.pid,
    startedAt,
    version: LILY_VERSION,
    inFlight: worker.inFlight(),
    executors: worker.names(),
  }));
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
      if (!o.shared) await storage.close();
      o.log.info({ event: 'worker.stopped', id: o.id }, 'worker stopped');
    },
  };
};
