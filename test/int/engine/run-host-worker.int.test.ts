import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createInMemoryBus, InMemoryBroker } from '../../../src/actors/bus/index.js';
import { RunHost } from '../../../src/actors/engine/run-host.js';
import { ProgramCache } from '../../../src/actors/engine/run-slot.js';
import {
  BUILTIN_EXECUTOR_FNS,
  BUILTIN_PARTITIONER_FNS,
} from '../../../src/actors/executors/builtin-executors.js';
import { CommandGuard } from '../../../src/actors/executors/command-guard.js';
import { memoryLogger } from '../../../src/actors/logger.js';
import { GrantSigner } from '../../../src/actors/policy/grants.js';
import { Worker } from '../../../src/actors/worker/worker.js';
import { compileBlueprint, createBuiltinCatalog, pipelineBlueprint } from '../../../src/blueprints/index.js';
import { hashJson, type RunId, runStream } from '../../../src/contracts/index.js';
import {
  createInMemoryArtifactStore,
  createInMemoryEventStore,
  createUlidGenerator,
  systemClock,
} from '../../../src/eventstore/index.js';
import { allowAllPolicy } from '../../helpers/allow-all-policy.js';

const ns = 'test';
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const setup = () => {
  const dir = mkdtempSync(join(tmpdir(), 'lily-host-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const broker = new InMemoryBroker();
  const bus = createInMemoryBus({ broker });
  const store = createInMemoryEventStore();
  const catalog = createBuiltinCatalog();
  const signer = new GrantSigner(Buffer.alloc(32, 1));
  const log = memoryLogger();
  cleanups.push(() => {
    if (process.env.DEBUG_LOGS) console.log(JSON.stringify(log.entries, null, 1));
  });
  const host = new RunHost({
    store,
    bus,
    ns,
    clock: systemClock,
    log,
    programs: new ProgramCache(catalog.schemas),
  });
  const worker = new Worker({
    id: 'w1',
    bus: createInMemoryBus({ broker }),
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
    concurrency: 4,
  });
  allowAllPolicy(bus, ns, signer);
  host.start();
  worker.start();
  cleanups.push(async () => {
    await worker.stop();
    await host.stop();
    await bus.close();
  });
  return { store, bus, host, catalog, dir };
};

const startRun = async (
  ctx: ReturnType<typeof setup>,
  bindings: unknown,
  input: Record<string, unknown> = {},
) => {
  const { plan, planHash } = compileBlueprint(ctx.catalog, pipelineBlueprint, bindings);
  const runId = createUlidGenerator().runId();
  const meta = { producer: 'test', correlationId: runId };
  const requested = {
    runId,
    jobId: 'demo',
    trigger: { kind: 'manual' },
    input,
    dryRun: false,
    principal: 'operator',
  };
  await ctx.store.append(runStream(runId), [
    { id: `${runId}/requested`, type: 'run.requested', at: Date.now(), data: requested, meta },
  ]);
  const started = {
    runId,
    jobId: 'demo',
    blueprint: plan.blueprint,
    bindings,
    plan,
    planHash,
    input,
    inputHash: hashJson(input),
    dryRun: false,
    kernelVersion: '0.1.0',
    env: { node: process.version },
    principal: 'operator',
  };
  await ctx.host.deliver(runId, [
    { id: `${runId}/started`, type: 'run.started', at: Date.now(), data: started, producer: 'test' },
  ]);
  return runId;
};

const waitCompleted = async (ctx: ReturnType<typeof setup>, runId: RunId) => {
  for (let i = 0; i < 500; i++) {
    const events = await ctx.store.readStream(runStream(runId));
    const done = events.find((e) => e.type === 'run.completed');
    if (done) return { done, events };
    await new Promise((r) => setTimeout(r, 10));
  }
  const all = await ctx.store.readStream(runStream(runId));
  throw new Error(`run ${runId} did not complete: ${all.map((e) => e.type).join(', ')}`);
};

describe('run host + worker (in-memory bus and store)', () => {
  it('runs a 3-step pipeline to completion, outputs flowing from step to step', async () => {
    const ctx = setup();
    const runId = await startRun(ctx, {
      steps: [
        { id: 'a', executor: 'echo', with: { value: { n: 1 } } },
        { id: 'b', executor: 'echo', input: { prev: { from: 'step', step: 'a', path: 'n' } } },
        { id: 'c', run: ['node', '-e', 'process.stdout.write(process.env.LILY_INPUT)'] },
      ],
    });
    const { done, events } = await waitCompleted(ctx, runId);
    expect(done.data).toMatchObject({ status: 'succeeded' });
    const types = events.map((e) => e.type);
    expect(types.filter((t) => t === 'step.succeeded')).toHaveLength(3);
    const b = events.find(
      (e) => e.type === 'step.succeeded' && (e.data as { stepId: string }).stepId === 'b',
    );
    expect(b?.data).toMatchObject({ output: { prev: 1 } });
    // Each seq exactly once, ids unique: nothing duplicated.
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
  });

  it('fails the run when a command fails for good, with the error in run.completed', async () => {
    const ctx = setup();
    const runId = await startRun(ctx, { steps: [{ id: 'boom', run: ['node', '-e', 'process.exit(7)'] }] });
    const { done, events } = await waitCompleted(ctx, runId);
    expect(done.data).toMatchObject({ status: 'failed' });
    expect(events.filter((e) => e.type === 'step.failed')).toHaveLength(1);
    expect(done.data).toMatchObject({ error: { code: 'job_execution_failed' } });
  });

  it('drops a re-sent reply instead of appending it twice', async () => {
    const ctx = setup();
    const runId = await startRun(ctx, { steps: [{ id: 'a', executor: 'echo', with: { value: 1 } }] });
    const { events } = await waitCompleted(ctx, runId);
    const reply = events.find((e) => e.type === 'step.succeeded');
    await ctx.host.deliver(runId, [
      { id: reply?.id as string, type: 'step.succeeded', at: 0, data: reply?.data, producer: 'test' },
    ]);
    expect(await ctx.store.readStream(runStream(runId))).toHaveLength(events.length);
  });
});
