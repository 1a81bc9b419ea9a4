import { unwatchFile, watchFile } from 'node:fs';
import { join } from 'node:path';
import type { Bus } from '../actors/bus/bus.js';
import { Projector } from '../actors/engine/projector.js';
import { RunHost } from '../actors/engine/run-host.js';
import { ProgramCache } from '../actors/engine/run-slot.js';
import { errorInfo } from '../actors/error-info.js';
import type { Logger } from '../actors/logger.js';
import { GrantSigner, loadOrCreateGrantKey } from '../actors/policy/grants.js';
import { PolicyGate } from '../actors/policy/policy-gate.js';
import { answerPings } from '../actors/runtime/sys.js';
import { LILY_VERSION } from '../actors/runtime/version.js';
import { Scheduler } from '../actors/scheduler/scheduler.js';
import type { Clock } from '../contracts/clock.js';
import { type LilyStorage, openLilyStorage } from '../eventstore/storage.js';
import { createUlidGenerator, systemClock } from '../eventstore/system-ports.js';
import { openProject, type Project } from '../project/open.js';
import { loadPolicy } from '../project/policy.js';
import { tightenPrivateState } from '../project/private-state.js';
import { connectTarget, resolveNatsTarget } from './connect.js';
import { type RunningWorker, startWorkerProcess } from './worker-process.js';

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
}

export interface RunningEngine {
  project: Project;
  storage: LilyStorage;
  bus: Bus;
  host: RunHost;
  scheduler: Scheduler;
  gate: PolicyGate;
  projector: Projector;
  worker?: RunningWorker;
  stop(): Promise<void>;
}

/**
 * The engine: run host, scheduler, policy gate and projector over one LMDB log and one bus.
 * Start order matters: the host subscribes to run inboxes and resumes live runs before the
 * scheduler starts new ones; the projector catches up last.
 */
export const startEngineProcess = async (o: EngineProcessOptions): Promise<RunningEngine> => {
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
  const signer = new GrantSigner(await loadOrCreateGrantKey(join(paths.keys, 'grant.key')));
  const ownsBus = !o.bus;
  const bus =
    o.bus ?? (await connectTarget(await resolveNatsTarget(paths, config, o.nats), 'lily-engine', o.log));
  const ns = config.namespace;
  const store = storage.events;
  let scheduler: Scheduler | undefined;
  const gate = new PolicyGate({
    store,
    bus,
    ns,
    clock,
    log: o.log.child({ actor: 'policy-gate' }),
    policy: project.policy,
    signer,
    workspace: paths.dir,
    catalog,
  });
  const host = new RunHost({
    store,
    bus,
    ns,
    clock,
    log: o.log.child({ actor: 'run-host' }),
    programs: new ProgramCache(catalog.schemas),
    localPolicy: gate,
    onFinished: (slot) => {
      scheduler?.runFinished(slot.runId);
      gate.runFinished(slot.runId);
    },
  });
  scheduler = new Scheduler({
    store,
    bus,
    ns,
    clock,
    log: o.log.child({ actor: 'scheduler' }),
    jobs: project.jobs,
    catalog,
    ids: createUlidGenerator(clock),
    kernelVersion: LILY_VERSION,
    policy: project.policy,
    projectDir: paths.dir,
    cron: o.cron ?? true,
  });
  const projector = new Projector({
    store,
    runsDir: storage.runsDir,
    checkpointFile: join(paths.root, 'runs', '.projector-checkpoint'),
    log: o.log.child({ actor: 'projector' }),
  });
  host.start();
  gate.start();
  const resumed = await host.resume();
  await scheduler.start();
  // resume() re-sent the outstanding `timer.schedule`s before the scheduler subscribed to
  // cmd.sched, so they were dropped (a run waiting on a retry backoff hung): send them again.
  if (resumed.resumed > 0) host.resendOutstanding();
  await projector.start();
  const worker = o.worker
    ? await startWorkerProcess({
        dir: o.dir,
        id: o.worker.id,
        log: o.log.child({ actor: 'worker' }),
        bus,
        concurrency: o.worker.concurrency,
        shared: { project, storage },
      })
    : undefined;
  // Policy edits apply without a restart: a file that no longer parses keeps the old policy.
  const reloadPolicy = () => {
    loadPolicy(paths.policy)
      .then((p) => {
        gate.setPolicy(p);
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
    startedAt,
    version: LILY_VERSION,
    inFlight: host.inFlight(),
    executors: worker?.worker.names() ?? [],
    details: { ...scheduler.stats(), projected: projector.position() },
  }));
  o.log.info({ event: 'engine.started', ns, resumed, programSearch: gate.searchPath() }, 'engine started');
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
      for (const p of pings) p.unsubscribe();
      await scheduler.stop();
      await worker?.stop();
      await host.stop();
      await gate.stop();
      await projector.stop();
      if (ownsBus) await bus.drain();
      await storage.close();
      o.log.info({ event: 'engine.stopped' }, 'engine stopped');
    },
  };
};
