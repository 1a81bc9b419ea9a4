import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bus } from '../../src/actors/bus/bus.js';
import { createInMemoryBus, InMemoryBroker } from '../../src/actors/bus/index.js';
import { type ComposedEngine, composeEngine, type EnginePorts } from '../../src/actors/compose-engine.js';
import { createInMemoryDispatchLedger } from '../../src/actors/ledger/in-memory-dispatch-ledger.js';
import { memoryLogger } from '../../src/actors/logger.js';
import { createEngineKeys, type EngineKeys } from '../../src/actors/trust/engine-keys.js';
import {
  type Catalog,
  compileBlueprint,
  createBuiltinCatalog,
  pipelineBlueprint,
} from '../../src/blueprints/index.js';
import { JobRepository, memoryJobSource } from '../../src/blueprints/jobs/repository.js';
import { hashJson, type RunId, runStream, type StoredEvent } from '../../src/contracts/index.js';
import type { EventStore } from '../../src/eventstore/event-store.js';
import {
  createInMemoryArtifactStore,
  createInMemoryEventStore,
  createUlidGenerator,
  systemClock,
} from '../../src/eventstore/index.js';
import { allowAllPolicy } from './allow-all-policy.js';

export interface TestEngine {
  engine: ComposedEngine;
  store: EventStore;
  bus: Bus;
  broker: InMemoryBroker | undefined;
  catalog: Catalog;
  /** The engine's seal key pair and reply secret (in memory). */
  keys: EngineKeys;
  log: ReturnType<typeof memoryLogger>;
  /** The engine's workspace (a temp directory, removed by `stop`). */
  dir: string;
  stop(): Promise<void>;
}

/**
 * An engine composed with in-memory adapters (event store, bus, artifact store, dispatch ledger)
 * and an in-process worker, the real PolicyGate allowing everything, no cron. Pass `bus` and
 * `workerBus` to run it over NATS instead; `jobs` are job YAML texts by id.
 */
export const startTestEngine = async (
  o: {
    ns?: string;
    /** A log to start from (an engine restarted over it resumes its runs). */
    store?: EventStore;
    /** Compose without the in-process worker. */
    noWorker?: boolean;
    bus?: Bus;
    workerBus?: Bus;
    jobs?: Record<string, string>;
    catalog?: Catalog;
    concurrency?: number;
    log?: ReturnType<typeof memoryLogger>;
    ports?: Partial<EnginePorts>;
  } = {},
): Promise<TestEngine> => {
  const dir = mkdtempSync(join(tmpdir(), 'lily-engine-'));
  const broker = o.bus ? undefined : new InMemoryBroker();
  const log = o.log ?? memoryLogger();
  const bus = o.bus ?? createInMemoryBus({ broker, logger: log });
  const workerBus = o.workerBus ?? (broker ? createInMemoryBus({ broker, logger: log }) : bus);
  const store = o.store ?? createInMemoryEventStore();
  const catalog = o.catalog ?? createBuiltinCatalog();
  const keys = o.ports?.keys ?? createEngineKeys();
  const ledger = createInMemoryDispatchLedger({
    owner: { worker: 'w1', pid: process.pid, host: 'test' },
    clock: systemClock,
  });
  const engine = composeEngine({
    store,
    bus,
    ns: o.ns ?? 'test',
    clock: systemClock,
    ids: createUlidGenerator(),
    log,
    catalog,
    policy: allowAllPolicy,
    jobs: new JobRepository(memoryJobSource(o.jobs ?? {})),
    keys,
    workspace: dir,
    env: { node: process.version },
    cron: false,
    ...(o.noWorker
      ? {}
      : {
          worker: {
            id: 'w1',
            artifacts: createInMemoryArtifactStore(),
            ledger,
            bus: workerBus,
            concurrency: o.concurrency ?? 4,
          },
        }),
    ...o.ports,
  });
  await engine.start();
  return {
    engine,
    store,
    bus,
    broker,
    catalog,
    keys,
    log,
    dir,
    async stop() {
      await engine.stop();
      if (!o.bus) await bus.close();
      if (!o.workerBus && workerBus !== bus) await workerBus.close();
      if (process.env.DEBUG_LOGS) console.log(JSON.stringify(log.entries, null, 1));
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

/**
 * Starts a run of a pipeline.v1 plan compiled from `bindings` straight through the run host
 * (`run.requested`, then `run.started` delivered as the scheduler would): for tests that need
 * plans no job file describes. Returns its id.
 */
export const startPipelineRun = async (
  t: Pick<TestEngine, 'engine' | 'store' | 'catalog'>,
  bindings: unknown,
  input: Record<string, unknown> = {},
  runId: RunId = createUlidGenerator().runId(),
): Promise<RunId> => {
  const { plan, planHash } = compileBlueprint(t.catalog, pipelineBlueprint, bindings);
  const base = { runId, jobId: 'demo', input, dryRun: false, principal: 'operator' };
  await t.store.append(runStream(runId), [
    {
      id: `${runId}/requested`,
      type: 'run.requested',
      at: Date.now(),
      data: { ...base, trigger: { kind: 'manual' } },
      meta: { producer: 'test', correlationId: runId },
    },
  ]);
  const started = {
    ...base,
    blueprint: plan.blueprint,
    bindings,
    plan,
    planHash,
    inputHash: hashJson(input),
    kernelVersion: '0.1.0',
    env: { node: process.version },
  };
  await t.engine.host.deliver(runId, [
    { id: `${runId}/started`, type: 'run.started', at: Date.now(), data: started, producer: 'test' },
  ]);
  return runId;
};

/** Waits (polling the log, no timing assertion) until the run has `run.completed`. */
export const waitCompleted = async (
  store: EventStore,
  runId: RunId,
  tries = 1_000,
): Promise<{ done: StoredEvent; events: StoredEvent[] }> => {
  for (let i = 0; i < tries; i++) {
    const events = await store.readStream(runStream(runId));
    const done = events.find((e) => e.type === 'run.completed');
    if (done) return { done, events };
    await new Promise((r) => setTimeout(r, 10));
  }
  const all = await store.readStream(runStream(runId));
  throw new Error(`run ${runId} did not complete: ${all.map((e) => e.type).join(', ')}`);
};
