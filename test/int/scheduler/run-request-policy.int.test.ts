import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bus } from '../../../src/actors/bus/bus.js';
import { connectNatsBus } from '../../../src/actors/bus/nats-bus.js';
import { memoryLogger } from '../../../src/actors/logger.js';
import { type InboundEvent, type InboxMessage, runRequestReplySchema } from '../../../src/actors/messages.js';
import { PolicyGate } from '../../../src/actors/policy/policy-gate.js';
import { Scheduler } from '../../../src/actors/scheduler/scheduler.js';
import { policySubject, schedSubject } from '../../../src/actors/subjects.js';
import { createBuiltinCatalog } from '../../../src/blueprints/builtins/index.js';
import { JobRepository, memoryJobSource } from '../../../src/blueprints/jobs/repository.js';
import type { RunId } from '../../../src/contracts/ids.js';
import type { EventStore } from '../../../src/eventstore/event-store.js';
import { openLmdbEventStore } from '../../../src/eventstore/lmdb-event-store.js';
import { createUlidGenerator, systemClock } from '../../../src/eventstore/system-ports.js';
import { policySchema } from '../../../src/project/policy.js';
import { type NatsServerHandle, startNatsServer } from '../../helpers/nats-server.js';

const NS = 'int';
const JOB = [
  'id: build',
  'title: Build',
  'target: {kind: blueprint, id: command.v1}',
  'bindings: {run: [node, build.js], timeout_ms: 1000}',
  'input: {target: dev}',
].join('\n');

let nats: NatsServerHandle;
let dir: string;
let store: EventStore;
let engine: Bus;
let client: Bus;
let scheduler: Scheduler;
let gate: PolicyGate;
const inbox: InboxMessage[] = [];
/** Stands in for the run host: what the scheduler and the gate hand it in-process. */
const runInbox = {
  deliver: async (runId: RunId, events: readonly InboundEvent[]) => {
    inbox.push({ runId, events: [...events] });
  },
};

/** Waits (without timing assertions) until the inbox holds an event with this id. */
const waitFor = async (id: string) => {
  for (let i = 0; i < 500; i++) {
    const found = inbox.flatMap((m) => m.events).find((e) => e.id === id);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no inbox event ${id}`);
};

beforeAll(async () => {
  nats = await startNatsServer();
  dir = mkdtempSync(join(tmpdir(), 'lily-sched-int-'));
  store = openLmdbEventStore({ path: join(dir, 'db') });
  engine = await connectNatsBus({ servers: nats.url, name: 'engine' });
  client = await connectNatsBus({ servers: nats.url, name: 'client' });
  const log = memoryLogger();
  const policy = policySchema.parse({
    executors: ['command'],
    commands: ['node'],
    workspace: { allow: ['**'] },
  });
  scheduler = new Scheduler({
    store,
    bus: engine,
    ns: NS,
    clock: systemClock,
    log,
    inbox: runInbox,
    jobs: new JobRepository(memoryJobSource({ build: JOB })),
    catalog: createBuiltinCatalog(),
    ids: createUlidGenerator(),
    policy,
    kernelVersion: '0.1.0-int',
    projectDir: dir,
  });
  gate = new PolicyGate({
    store,
    bus: engine,
    ns: NS,
    clock: systemClock,
    log,
    inbox: runInbox,
    policy,
    workspace: dir,
  });
  await scheduler.start();
  gate.start();
  await client.flush();
  await engine.flush();
});

afterAll(async () => {
  await scheduler?.stop();
  await gate?.stop();
  await client?.close();
  await engine?.close();
  await store?.close();
  await nats?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('Scheduler and PolicyGate over NATS with LMDB', () => {
  it('a run request is recorded durably, started in-process, and its step is allowed naming its program', async () => {
    const reply = await client.requestTyped(
      schedSubject(NS),
      { type: 'run.request', jobId: 'build', input: { target: 'prod' } },
      runRequestReplySchema,
      { timeoutMs: 5_000 },
    );
    expect(reply).toMatchObject({ ok: true, jobId: 'build' });
    if (!reply.ok) return;
    const { runId } = reply;
    expect((await store.readStream(`run/${runId}`)).map((e) => e.type)).toEqual(['run.requested']);
    expect((await store.readStream('job/build')).map((e) => e.id)).toEqual([`${runId}/requested`]);

    const started = await waitFor(`${runId}/started`);
    const data = started.data as { env: Record<string, string>; planHash: string; principal: string };
    expect(data.env).toMatchObject({ lily: '0.1.0-int', lockfile: 'none', node: process.version });
    // What the run host does: append run.started, then send the policy check the machine emits.
    await store.append(`run/${runId}`, [
      { id: started.id, type: 'run.started', at: started.at, data: started.data, meta: { producer: 'test' } },
    ]);
    client.publish(policySubject(NS), {
      runId,
      jobId: 'build',
      principal: data.principal,
      dryRun: false,
      planHash: data.planHash,
      inputHash: 'ignored',
      command: {
        type: 'policy.check',
        data: { stepId: 'command', attempt: 1, executor: 'command', request: {} },
      },
    });
    const decided = await waitFor(`${runId}/command/1/policy`);
    expect(decided).toMatchObject({ type: 'policy.decided', producer: 'engine/policy-gate' });
    const d = decided.data as { decision: string; programs: { program: string }[] };
    expect(d.decision).toBe('allow');
    expect(d.programs).toEqual([expect.objectContaining({ program: 'node' })]);
  });

  it('refuses an unknown job over the bus and writes nothing', async () => {
    const before = await store.lastPosition();
    const reply = await client.requestTyped(
      schedSubject(NS),
      { type: 'run.request', jobId: 'missing' },
      runRequestReplySchema,
      { timeoutMs: 5_000 },
    );
    expect(reply).toMatchObject({ ok: false, error: { code: 'job_not_found' } });
    expect(await store.lastPosition()).toBe(before);
  });
});
