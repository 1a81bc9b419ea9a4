import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bus } from '../../src/actors/bus/bus.js';
import { createInMemoryBus, InMemoryBroker } from '../../src/actors/bus/index.js';
import { CommandGuard } from '../../src/actors/executors/command-guard.js';
import { createInMemoryDispatchLedger } from '../../src/actors/ledger/in-memory-dispatch-ledger.js';
import { memoryLogger } from '../../src/actors/logger.js';
import type { ExecItem } from '../../src/actors/messages.js';
import { execSubject } from '../../src/actors/subjects.js';
import { SealVerifier } from '../../src/actors/trust/dispatch-seal.js';
import { createEngineKeys, sealPublicKeyFromHex } from '../../src/actors/trust/engine-keys.js';
import { EngineSeals, emptySealBook } from '../../src/actors/trust/engine-seals.js';
import { Worker } from '../../src/actors/worker/worker.js';
import { createBuiltinCatalog } from '../../src/blueprints/index.js';
import type { ExecutorFn } from '../../src/contracts/executor.js';
import type { RunId } from '../../src/contracts/index.js';
import { createInMemoryArtifactStore, systemClock } from '../../src/eventstore/index.js';
import { allowAllPolicy } from './allow-all-policy.js';

export const TEST_NS = 't';
export const TEST_RUN = '01JABCDEFGHJKMNPQRSTVWXYZ0' as RunId;

/**
 * A worker `w1` serving `executors` on an in-memory bus, its workspace a temp dir, and the
 * engine's side of the bus: `dispatch` seals a step for one of the executors and publishes it.
 * `adjust` may change the worker's bus before the worker subscribes. Call `stop` when done.
 */
export const startTestWorker = (o: {
  executors: Readonly<Record<string, ExecutorFn>>;
  adjust?: (workerBus: Bus) => void;
}) => {
  const dir = mkdtempSync(join(tmpdir(), 'lily-test-worker-'));
  const broker = new InMemoryBroker();
  const log = memoryLogger();
  const engineBus = createInMemoryBus({ broker, logger: log });
  const workerBus = createInMemoryBus({ broker, logger: log });
  o.adjust?.(workerBus);
  const keys = createEngineKeys();
  const seals = new EngineSeals(keys);
  const worker = new Worker({
    id: 'w1',
    bus: workerBus,
    ns: TEST_NS,
    clock: systemClock,
    log,
    catalog: createBuiltinCatalog(),
    executors: o.executors,
    partitioners: {},
    artifacts: createInMemoryArtifactStore(),
    seals: new SealVerifier(sealPublicKeyFromHex(keys.sealPublicKey)),
    ledger: createInMemoryDispatchLedger({
      owner: { worker: 'w1', pid: process.pid, host: 'test' },
      clock: systemClock,
    }),
    workspace: dir,
    workspaceRules: allowAllPolicy.workspace,
    commands: new CommandGuard({ policy: allowAllPolicy, workspace: dir }),
    concurrency: 4,
  });
  worker.start();
  let n = 0;
  return {
    engineBus,
    log,
    /** Seals step `s<n>` for `executor` and publishes it; returns its dispatch id. */
    dispatch(executor: string, extra: { timeoutMs?: number } = {}): string {
      n += 1;
      const stepId = `s${n}`;
      const dispatchId = `${TEST_RUN}/${stepId}/1`;
      const item = {
        kind: 'step',
        runId: TEST_RUN,
        jobId: 'j',
        data: {
          stepId,
          attempt: 1,
          dispatchId,
          executor,
          input: {},
          ...extra,
          idempotent: true,
          dryRun: false,
        },
      } as ExecItem;
      engineBus.publish(execSubject(TEST_NS, executor), {
        items: [seals.seal(item, emptySealBook(), false, systemClock.now())],
      });
      return dispatchId;
    },
    async stop(): Promise<void> {
      await worker.stop(100);
      rmSync(dir, { recursive: true, force: true });
    },
  };
};
