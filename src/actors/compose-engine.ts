import type { Catalog } from '../blueprints/catalog.js';
import type { JobRepository } from '../blueprints/jobs/repository.js';
import type { ArtifactStore } from '../contracts/artifact-store.js';
import type { Clock } from '../contracts/clock.js';
import type { NewEvent } from '../contracts/events/envelope.js';
import type { ExecutorFn, PartitionerFn } from '../contracts/executor.js';
import type { IdGenerator, RunId } from '../contracts/ids.js';
import type { Tracer } from '../contracts/tracing.js';
import type { EventStore } from '../eventstore/event-store.js';
import type { Policy } from '../policy/schema.js';
import type { Bus } from './bus/bus.js';
import { AnswerDesk } from './engine/answer-desk.js';
import { RunHost } from './engine/run-host.js';
import { ProgramCache } from './engine/run-slot.js';
import { CommandGuard } from './executors/command-guard.js';
import type { DispatchLedger } from './ledger/dispatch-ledger.js';
import type { Logger } from './logger.js';
import { PolicyGate } from './policy/policy-gate.js';
import type { WorkspaceRules } from './policy/workspace.js';
import { executorFns } from './runtime/executor-fns.js';
import { LILY_VERSION } from './runtime/version.js';
import { Scheduler } from './scheduler/scheduler.js';
import type { TimerService } from './scheduler/timers.js';
import { RunTracer } from './tracing/run-tracer.js';
import { SealVerifier } from './trust/dispatch-seal.js';
import { type EngineKeys, sealPublicKeyFromHex } from './trust/engine-keys.js';
import { EngineSeals } from './trust/engine-seals.js';
import { Worker, type WorkerOptions } from './worker/worker.js';

/** Port: what follows the log to write projections (receipts); optional in a composition. */
export interface EngineProjector {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The global position projected so far. */
  position(): number;
}

/** A worker in the engine's process (one-process deployments, ephemeral engines, tests). */
export interface InProcessWorkerPorts {
  id: string;
  artifacts: ArtifactStore;
  /** Exactly-once per dispatch id, shared with every other worker of the deployment. */
  ledger: DispatchLedger;
  /** Default 16. */
  concurrency?: number;
  /** Default: the built-ins and every pack executor/partitioner of the catalog. */
  executors?: Readonly<Record<string, ExecutorFn>>;
  partitioners?: Readonly<Record<string, PartitionerFn>>;
  /** Default: the policy's `workspace` rules. */
  workspaceRules?: WorkspaceRules;
  /**
   * The worker's own check of every command right before it starts (allowlist, env). Default:
   * a guard over `policy` in `workspace`, against this process's environment; `setPolicy`
   * reaches it either way.
   */
  commands?: CommandGuard;
  /** Its own connection (default: the engine's bus). */
  bus?: Bus;
  ledgerHeartbeatMs?: number;
  /** Where its attempts run, for `step.started` (default: not said). */
  place?: WorkerOptions['place'];
}

/** Everything an engine needs, as ports: `composeEngine` wires them and does no I/O itself. */
export interface EnginePorts {
  store: EventStore;
  bus: Bus;
  /** The namespace of every subject. */
  ns: string;
  clock: Clock;
  ids: IdGenerator;
  log: Logger;
  catalog: Catalog;
  policy: Policy;
  /** The project's jobs (job source with its checks). */
  jobs: JobRepository;
  /** The engine's seal key pair and reply secret (`loadOrCreateEngineKeys`, docs/decisions/030). */
  keys: EngineKeys;
  /** How long a dispatch may wait for a worker to start it (its seal's expiry; default 24 h). */
  sealTtlMs?: number;
  /** The project directory: workspace paths (policy and workers) resolve inside it. */
  workspace: string;
  /** Default: Lily's version. */
  kernelVersion?: string;
  /** Overrides the env fingerprint `run.started` pins (default: computed at start from the workspace). */
  env?: Record<string, string>;
  /** Default: real timers against `clock`. */
  timers?: TimerService;
  /** Run cron loops (default true). */
  cron?: boolean;
  /** Re-read the job files this often so cron follows them (default: never; a deployment: 1 s). */
  jobsRefreshMs?: number;
  /** How often the run host re-sends unanswered commands (default 500 ms). */
  sweepMs?: number;
  /** Finished runs the run host remembers without reading the log (default 1,000). */
  finishedKept?: number;
  projector?: EngineProjector;
  worker?: InProcessWorkerPorts;
  /**
   * Runs before each append of the run host with what it appends: copies artifacts that workers
   * elsewhere made into the project's store (engine/artifact-import.ts). Default: none.
   */
  artifactImport?: (runId: RunId, events: readonly NewEvent[]) => Promise<void>;
  /**
   * Traces runs (a trace per run, derived from what the run host appends) and the in-process
   * worker's dispatches. Default: none; a tracer whose `enabled` is false is the same as none.
   * The composition never flushes or shuts it down: its owner (the process) does.
   */
  tracer?: Tracer;
}

/** A composed engine: its actors, and the start/stop sequence they need. */
export interface ComposedEngine {
  readonly host: RunHost;
  readonly scheduler: Scheduler;
  readonly gate: PolicyGate;
  /** Takes people's answers (approvals, resolves) on `cmd.answer` and hands them to runs. */
  readonly answers: AnswerDesk;
  readonly projector: EngineProjector | undefined;
  readonly worker: Worker | undefined;
  /**
   * Applies a reloaded policy: the policy gate checks with it, and the in-process worker's
   * command guard enforces it (so both agree without a restart).
   */
  setPolicy(policy: Policy): void;
  /**
   * Starts the actors in the order that keeps runs safe: the run host subscribes and resumes
   * live runs (re-sending what they wait on, making in-flight non-idempotent dispatches
   * indeterminate) before the scheduler starts new ones; the projector catches up; the worker
   * starts last. Throws what the actors' start throws (storage failures).
   */
  start(): Promise<{ resumed: number; indeterminate: number }>;
  /** Stops new work, lets work in hand finish (the worker's for up to `workerGraceMs`), drains the subscriptions. */
  stop(workerGraceMs?: number): Promise<void>;
}

/**
 * Wires an engine from ports: run host, scheduler, policy gate (answering the host in-process,
 * decision 002), an optional projector and an optional in-process worker. No I/O happens here;
 * `start()` begins it. Real adapters are opened by `startEngineProcess` (src/deployment); tests
 * compose in-memory ones.
 *
 * @example
 * const engine = composeEngine({
 *   store: createInMemoryEventStore(), bus: createInMemoryBus(), ns: 'test', clock: systemClock,
 *   ids: createUlidGenerator(), log: memoryLogger(), catalog, policy, jobs, keys, workspace: dir,
 *   worker: { id: 'w1', artifacts: createInMemoryArtifactStore(), ledger },
 * });
 * await engine.start();
 * const { runId } = await engine.scheduler.requestRun({ jobId: 'hello', trigger: { kind: 'manual' } });
 */
export const composeEngine = (p: EnginePorts): ComposedEngine => {
  const { store, bus, ns, clock } = p;
  // The engine's actors hand their facts to the run host in-process: the bus inbox takes workers' proven answers only.
  let host: RunHost | undefined;
  const inbox = {
    deliver: (...args: Parameters<RunHost['deliver']>) => (host as RunHost).deliver(...args),
    launch: (...args: Parameters<RunHost['launch']>) => (host as RunHost).launch(...args),
  };
  const gate = new PolicyGate({
    store,
    bus,
    ns,
    clock,
    log: p.log.child({ actor: 'policy-gate' }),
    inbox,
    policy: p.policy,
    workspace: p.workspace,
    catalog: p.catalog,
  });
  let scheduler: Scheduler | undefined;
  const tracer = p.tracer?.enabled ? p.tracer : undefined;
  host = new RunHost({
    store,
    bus,
    ns,
    clock,
    log: p.log.child({ actor: 'run-host' }),
    programs: new ProgramCache(p.catalog.schemas),
    executors: p.catalog.executors,
    seals: new EngineSeals(p.keys, p.sealTtlMs === undefined ? {} : { ttlMs: p.sealTtlMs }),
    timers: {
      schedule: (runId, data) => scheduler?.scheduleTimer(runId, data),
      cancel: (timerId) => scheduler?.cancelTimer(timerId),
    },
    localPolicy: gate,
    ...(p.sweepMs !== undefined ? { sweepMs: p.sweepMs } : {}),
    ...(p.finishedKept !== undefined ? { finishedKept: p.finishedKept } : {}),
    ...(p.artifactImport ? { beforeAppend: p.artifactImport } : {}),
    ...(tracer ? { observer: new RunTracer(tracer, p.log.child({ actor: 'tracing' })) } : {}),
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
    log: p.log.child({ actor: 'scheduler' }),
    inbox,
    jobs: p.jobs,
    catalog: p.catalog,
    ids: p.ids,
    kernelVersion: p.kernelVersion ?? LILY_VERSION,
    policy: p.policy,
    projectDir: p.workspace,
    cron: p.cron ?? true,
    ...(p.jobsRefreshMs !== undefined ? { jobsRefreshMs: p.jobsRefreshMs } : {}),
    ...(p.env ? { env: p.env } : {}),
    ...(p.timers ? { timers: p.timers } : {}),
  });
  const commands = p.worker
    ? (p.worker.commands ?? new CommandGuard({ policy: p.policy, workspace: p.workspace }))
    : undefined;
  const worker = p.worker && commands ? inProcessWorker(p, p.worker, commands) : undefined;
  const answers = new AnswerDesk({
    store,
    bus,
    ns,
    clock,
    log: p.log.child({ actor: 'answer-desk' }),
    inbox,
  });
  const started = scheduler;
  const runHost = host;
  return {
    host: runHost,
    scheduler: started,
    gate,
    answers,
    projector: p.projector,
    worker,
    setPolicy(policy) {
      gate.setPolicy(policy);
      commands?.setPolicy(policy);
    },
    async start() {
      runHost.start();
      gate.start();
      const resumed = await runHost.resume();
      await started.start();
      // Re-sent once the scheduler is up: its timers (handed over in-process) are rebuilt by now.
      if (resumed.resumed > 0) runHost.resendOutstanding();
      answers.start();
      await p.projector?.start();
      worker?.start();
      return resumed;
    },
    async stop(workerGraceMs) {
      await answers.stop();
      await started.stop();
      await worker?.stop(workerGraceMs);
      await runHost.stop();
      await gate.stop();
      await p.projector?.stop();
    },
  };
};

const inProcessWorker = (p: EnginePorts, w: InProcessWorkerPorts, commands: CommandGuard): Worker => {
  const fns = w.executors && w.partitioners ? undefined : executorFns(p.catalog);
  return new Worker({
    id: w.id,
    bus: w.bus ?? p.bus,
    ns: p.ns,
    clock: p.clock,
    log: p.log.child({ actor: 'worker' }),
    catalog: p.catalog,
    executors: w.executors ?? fns?.executors ?? {},
    partitioners: w.partitioners ?? fns?.partitioners ?? {},
    artifacts: w.artifacts,
    seals: new SealVerifier(sealPublicKeyFromHex(p.keys.sealPublicKey)),
    ledger: w.ledger,
    ...(w.ledgerHeartbeatMs !== undefined ? { ledgerHeartbeatMs: w.ledgerHeartbeatMs } : {}),
    workspace: p.workspace,
    workspaceRules: w.workspaceRules ?? p.policy.workspace,
    commands,
    concurrency: w.concurrency ?? 16,
    ...(w.place ? { place: w.place } : {}),
    ...(p.tracer?.enabled ? { tracer: p.tracer } : {}),
  });
};
