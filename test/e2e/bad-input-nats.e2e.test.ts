/**
 * Garbage on a real nats-server: raw bytes, broken JSON and wrong schemas published on
 * `lily.<ns>.in.<run>` and `lily.<ns>.cmd.exec.command` are rejected by the run host's and the
 * worker's subscriptions, which keep serving: a run with a command step completes afterwards.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bus, connectNatsBus } from '../../src/actors/bus/index.js';
import { RunHost } from '../../src/actors/engine/run-host.js';
import { ProgramCache } from '../../src/actors/engine/run-slot.js';
import {
  BUILTIN_EXECUTOR_FNS,
  BUILTIN_PARTITIONER_FNS,
} from '../../src/actors/executors/builtin-executors.js';
import { CommandGuard } from '../../src/actors/executors/command-guard.js';
import { memoryLogger } from '../../src/actors/logger.js';
import { GrantSigner } from '../../src/actors/policy/grants.js';
import { execSubject, inboxSubject } from '../../src/actors/subjects.js';
import { Worker } from '../../src/actors/worker/worker.js';
import { compileBlueprint, createBuiltinCatalog, pipelineBlueprint } from '../../src/blueprints/index.js';
import { hashJson, runStream } from '../../src/contracts/index.js';
import {
  createInMemoryArtifactStore,
  createInMemoryEventStore,
  createUlidGenerator,
  systemClock,
} from '../../src/eventstore/index.js';
import { allowAllPolicy } from '../helpers/allow-all-policy.js';
import { type NatsServerHandle, startNatsServer } from '../helpers/nats-server.js';

const ns = 'badnats';
let nats: NatsServerHandle;
const buses: Bus[] = [];
let dir: string;

beforeAll(async () => {
  nats = await startNatsServer();
  dir = mkdtempSync(join(tmpdir(), 'lily-bad-nats-'));
});

afterAll(async () => {
  for (const bus of buses) await bus.close();
  await nats?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const connect = async (logger = memoryLogger()) => {
  const bus = await connectNatsBus({ servers: nats.url, logger });
  buses.push(bus);
  return bus;
};

describe('garbage on a real nats-server', () => {
  it('does not stop the run host or the worker from serving a valid run', async () => {
    const log = memoryLogger();
    const engineBus = await connect(log);
    const workerBus = await connect(log);
    const attacker = await connect();
    const store = createInMemoryEventStore();
    const catalog = createBuiltinCatalog();
    const signer = new GrantSigner(Buffer.alloc(32, 3));
    const host = new RunHost({
      store,
      bus: engineBus,
      ns,
      clock: systemClock,
      log,
      programs: new ProgramCache(catalog.schemas),
    });
    const worker = new Worker({
      id: 'w',
      bus: workerBus,
      ns,
      clock: systemClock,
      log,
      catalog,
      executors: BUILTIN_EXECUTOR_FNS,
      partitioners: BUILTIN_PARTITIONER_FNS,
      artifacts: createInMemoryArtifactStore(),
      signer,
      workspace: dir,
      workspaceRules: { allow: ['**'], deny: [] },
      commands: new CommandGuard({
        policy: { commands: ['node', process.execPath], env: { allow: ['*'], deny: [] } },
        workspace: dir,
      }),
      concurrency: 2,
    });
    allowAllPolicy(engineBus, ns, signer);
    host.start();
    worker.start();
    await engineBus.flush();
    await workerBus.flush();

    const runId = createUlidGenerator().runId();
    const garbage = [
      new Uint8Array([0, 1, 2, 0xff, 0xfe]),
      new TextEncoder().encode('{"items": [{"kind": "step"'),
      new TextEncoder().encode(JSON.stringify({ items: [{ kind: 'step', runId, jobId: 'j', data: {} }] })),
      new TextEncoder().encode(JSON.stringify({ runId, events: [{ id: 1 }] })),
      new TextEncoder().encode(`${'['.repeat(30_000)}${']'.repeat(30_000)}`),
    ];
    for (const subject of [inboxSubject(ns, runId), execSubject(ns, 'command')]) {
      for (const bytes of garbage) attacker.publishBytes(subject, bytes);
    }
    await attacker.flush();

    const bindings = { steps: [{ id: 'a', run: [process.execPath, '-e', 'console.log(1)'] }] };
    const { plan, planHash } = compileBlueprint(catalog, pipelineBlueprint, bindings);
    const meta = { producer: 'test', correlationId: runId };
    const base = { runId, jobId: 'demo', input: {}, dryRun: false, principal: 'operator' };
    await store.append(runStream(runId), [
      {
        id: `${runId}/requested`,
        type: 'run.requested',
        at: 0,
        data: { ...base, trigger: { kind: 'manual' } },
        meta,
      },
    ]);
    const started = {
      ...base,
      blueprint: plan.blueprint,
      bindings,
      plan,
      planHash,
      inputHash: hashJson({}),
      kernelVersion: '0.1.0',
      env: {},
    };
    await host.deliver(runId, [
      { id: `${runId}/started`, type: 'run.started', at: 0, data: started, producer: 't' },
    ]);

    let done: unknown;
    for (let i = 0; i < 1_000 && !done; i++) {
      done = (await store.readStream(runStream(runId))).find((e) => e.type === 'run.completed');
      if (!done) await new Promise((r) => setTimeout(r, 10));
    }
    expect(done).toMatchObject({ data: { status: 'succeeded' } });
    const events = log.entries.map((e) => e.event);
    expect(events.filter((e) => e === 'message.rejected').length).toBeGreaterThanOrEqual(garbage.length * 2);
    expect(events).not.toContain('bus.handler_failed');
    await worker.stop();
    await host.stop();
  });
});
