/**
 * A `step.started` lost with a dying connection: NATS drops what a dead connection had not sent,
 * and the worker's publish of `step.started` can be among it. When the connection was lost while
 * the attempt ran, the worker sends its `step.started` again with the end, so the run's log still
 * says which worker ran the attempt (the run host keeps the first copy of a fact).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Bus, BusStatus } from '../../../../src/actors/bus/bus.js';
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
import type { RunId } from '../../../../src/contracts/index.js';
import { createInMemoryArtifactStore, systemClock } from '../../../../src/eventstore/index.js';
import { allowAllPolicy } from '../../../helpers/allow-all-policy.js';

const NS = 't';
const RUN = '01JABCDEFGHJKMNPQRSTVWXYZ0' as RunId;
const stops: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

/**
 * The worker's bus, with a connection that can be cut: while `down`, its publishes are dropped
 * (as a dead NATS connection drops them); `status` tells its listeners what NATS would.
 */
const cuttableBus = (bus: Bus) => {
  const listeners = new Set<(s: BusStatus) => void>();
  const state = { down: false };
  const publish = bus.publish.bind(bus);
  bus.publish = (subject, payload, opts) => {
    if (!state.down) publish(subject, payload, opts);
  };
  bus.onStatus = (listener) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  };
  return {
    state,
    status: (s: BusStatus) => {
      for (const l of listeners) l(s);
    },
  };
};

const setUp = () => {
  const dir = mkdtempSync(join(tmpdir(), 'lily-lost-started-'));
  stops.push(() => rmSync(dir, { recursive: true, force: true }));
  const broker = new InMemoryBroker();
  const log = memoryLogger();
  const engineBus = createInMemoryBus({ broker, logger: log });
  const workerBus = createInMemoryBus({ broker, logger: log });
  const link = cuttableBus(workerBus);
  let release: () => void = () => undefined;
  let started: () => void = () => undefined;
  const keys = createEngineKeys();
  const seals = new EngineSeals(keys);
  const worker = new Worker({
    id: 'w1',
    bus: workerBus,
    ns: NS,
    clock: systemClock,
    log,
    catalog: createBuiltinCatalog(),
    executors: {
      held: () =>
        new Promise((resolve) => {
          release = () => resolve({ output: { ok: true }, artifacts: [] });
          started();
        }),
    },
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
  /** Every reply message the engine received, as the list of fact types it carried. */
  const messages: string[][] = [];
  const facts: InboundEvent[] = [];
  engineBus.subscribe(inboxSubject(NS, RUN), (m) => {
    const events = (m.json() as { events: InboundEvent[] }).events;
    messages.push(events.map((e) => e.type));
    facts.push(...events);
  });
  let n = 0;
  /** Dispatches one step of `held`; resolves once the executor is running. */
  const dispatch = (): Promise<void> => {
    n += 1;
    const stepId = `s${n}`;
    const item = {
      kind: 'step',
      runId: RUN,
      jobId: 'j',
      data: {
        stepId,
        attempt: 1,
        dispatchId: `${RUN}/${stepId}/1`,
        executor: 'held',
        input: {},
        idempotent: true,
        dryRun: false,
      },
    } as ExecItem;
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    engineBus.publish(execSubject(NS, 'held'), {
      items: [seals.seal(item, emptySealBook(), false, systemClock.now())],
    });
    return running;
  };
  const settle = () => new Promise((r) => setTimeout(r, 20));
  return { link, dispatch, release: () => release(), messages, facts, settle };
};

describe("a worker's step.started lost with its connection", () => {
  it('is sent again with the end when the connection was lost while the attempt ran', async () => {
    const t = setUp();
    // The connection dies before step.started leaves: it is dropped.
    t.link.state.down = true;
    await t.dispatch();
    await t.settle();
    expect(t.messages).toEqual([]);
    // The client notices, reconnects; the attempt ends after that.
    t.link.status({ type: 'disconnected' });
    t.link.state.down = false;
    t.link.status({ type: 'reconnected' });
    t.release();
    await t.settle();
    expect(t.messages).toEqual([['step.started', 'step.succeeded']]);
    // Both proven: the run host screens them like any other answer.
    expect(t.facts.every((f) => typeof f.proof === 'string')).toBe(true);
    expect(t.facts[0]?.data).toMatchObject({ worker: 'w1' });
  });

  it('is not sent twice when the connection held', async () => {
    const t = setUp();
    await t.dispatch();
    await t.settle();
    t.release();
    await t.settle();
    expect(t.messages).toEqual([['step.started'], ['step.succeeded']]);
  });
});
