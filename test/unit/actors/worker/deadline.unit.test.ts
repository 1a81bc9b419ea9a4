/**
 * A step's deadline in the worker: a second past its `timeoutMs`, an executor that listens to its
 * signal is aborted, and a failure past the deadline ends the attempt as `step_timeout`. The
 * deadline's timer is made only when the executor reads its signal (`attemptContext`, attempt-context.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createInMemoryBus, InMemoryBroker } from '../../../../src/actors/bus/index.js';
import { CommandGuard } from '../../../../src/actors/executors/command-guard.js';
import { createInMemoryDispatchLedger } from '../../../../src/actors/ledger/in-memory-dispatch-ledger.js';
import { memoryLogger } from '../../../../src/actors/logger.js';
import type { ExecItem, InboundEvent } from '../../../../src/actors/messages.js';
import { execSubject, inboxSubject } from '../../../../src/actors/subjects.js';
import { SealVerifier } from '../../../../src/actors/trust/dispatch-seal.js';
import { createEngineKeys, sealPublicKeyFromHex } from '../../../../src/actors/trust/engine-keys.js';
import { EngineSeals, emptySealBook } from '../../../../src/actors/trust/engine-seals.js';
import { Worker } from '../../../../src/actors/worker/worker.js';
import { createBuiltinCatalog } from '../../../../src/blueprints/index.js';
import type { ExecutorFn } from '../../../../src/contracts/executor.js';
import type { RunId } from '../../../../src/contracts/index.js';
import { createInMemoryArtifactStore, systemClock } from '../../../../src/eventstore/index.js';
import { allowAllPolicy } from '../../../helpers/allow-all-policy.js';

const NS = 't';
const RUN = '01JABCDEFGHJKMNPQRSTVWXYZ0' as RunId;
const stops: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

/** A worker serving `slow` on an in-memory bus; `dispatch` sends it one sealed step and returns its end fact. */
const setUp = (slow: ExecutorFn) => {
  const dir = mkdtempSync(join(tmpdir(), 'lily-deadline-'));
  stops.push(() => rmSync(dir, { recursive: true, force: true }));
  const broker = new InMemoryBroker();
  const log = memoryLogger();
  const engineBus = createInMemoryBus({ broker, logger: log });
  const workerBus = createInMemoryBus({ broker, logger: log });
  const keys = createEngineKeys();
  const seals = new EngineSeals(keys);
  const worker = new Worker({
    id: 'w1',
    bus: workerBus,
    ns: NS,
    clock: systemClock,
    log,
    catalog: createBuiltinCatalog(),
    executors: { slow },
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
  stops.push(() => worker.stop(100));
  const ends = new Map<string, (fact: InboundEvent) => void>();
  engineBus.subscribe(inboxSubject(NS, RUN), (m) => {
    for (const fact of (m.json() as { events: InboundEvent[] }).events) {
      const data = fact.data as { dispatchId: string };
      if (fact.type !== 'step.started') ends.get(data.dispatchId)?.(fact);
    }
  });
  let n = 0;
  const dispatch = (timeoutMs: number): Promise<InboundEvent> => {
    n += 1;
    const stepId = `s${n}`;
    const dispatchId = `${RUN}/${stepId}/1`;
    const item: ExecItem = {
      kind: 'step',
      runId: RUN,
      jobId: 'j',
      data: {
        stepId,
        attempt: 1,
        dispatchId,
        executor: 'slow',
        input: {},
        timeoutMs,
        idempotent: true,
        dryRun: false,
      },
    } as ExecItem;
    const ended = new Promise<InboundEvent>((resolve) => ends.set(dispatchId, resolve));
    engineBus.publish(execSubject(NS, 'slow'), {
      items: [seals.seal(item, emptySealBook(), false, systemClock.now())],
    });
    return ended;
  };
  return { dispatch };
};

const endReason = (fact: InboundEvent) => (fact.data as { endReason?: string }).endReason;

describe('a step past its deadline in the worker', () => {
  it('aborts an executor that listens to its signal, a second past timeoutMs, as step_timeout', async () => {
    const { dispatch } = setUp(
      (ctx) =>
        new Promise((_resolve, reject) => {
          ctx.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
        }),
    );
    const t0 = performance.now();
    const end = await dispatch(100);
    const waited = performance.now() - t0;
    expect(end.type).toBe('step.failed');
    expect(endReason(end)).toBe('step_timeout');
    expect(waited).toBeGreaterThanOrEqual(1_000);
  });

  it('ends a failure after the deadline as step_timeout when the executor never read its signal', async () => {
    const { dispatch } = setUp(async () => {
      await new Promise((r) => setTimeout(r, 1_200));
      throw new Error('gave up late');
    });
    const end = await dispatch(100);
    expect(end.type).toBe('step.failed');
    expect(endReason(end)).toBe('step_timeout');
  });

  it('keeps a failure before the deadline an ordinary failure', async () => {
    const { dispatch } = setUp(async (ctx) => {
      void ctx.signal;
      throw new Error('failed at once');
    });
    const end = await dispatch(60_000);
    expect(end.type).toBe('step.failed');
    expect(endReason(end)).not.toBe('step_timeout');
  });

  it('makes no deadline timer for an executor that never reads its signal', async () => {
    const timeouts = vi.spyOn(AbortSignal, 'timeout');
    stops.push(() => timeouts.mockRestore());
    const { dispatch } = setUp(async () => ({ output: { ok: true }, artifacts: [] }));
    const end = await dispatch(60_000);
    expect(end.type).toBe('step.succeeded');
    expect(timeouts).not.toHaveBeenCalled();
  });

  it('lets a signal read late still abort at the same deadline', async () => {
    const { dispatch } = setUp(async (ctx) => {
      await new Promise((r) => setTimeout(r, 1_500));
      return new Promise((_resolve, reject) => {
        ctx.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
      });
    });
    const t0 = performance.now();
    const end = await dispatch(1_000);
    const waited = performance.now() - t0;
    expect(endReason(end)).toBe('step_timeout');
    // The deadline is 2 s after the start, not 2 s after the signal was read (3.5 s).
    expect(waited).toBeGreaterThanOrEqual(2_000);
    expect(waited).toBeLessThan(3_000);
  });
});
