/**
 * Garbage on a real nats-server: raw bytes, broken JSON and wrong schemas published on
 * `lily.<ns>.in.<run>` and `lily.<ns>.cmd.exec.command` are rejected by the run host's and the
 * worker's subscriptions, which keep serving: a run with a command step completes afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bus, connectNatsBus } from '../../src/actors/bus/index.js';
import { memoryLogger } from '../../src/actors/logger.js';
import { execSubject, inboxSubject } from '../../src/actors/subjects.js';
import { runStream } from '../../src/contracts/index.js';
import { createUlidGenerator } from '../../src/eventstore/index.js';
import { type NatsServerHandle, startNatsServer } from '../helpers/nats-server.js';
import { startPipelineRun, startTestEngine } from '../helpers/test-engine.js';

const ns = 'badnats';
let nats: NatsServerHandle;
const buses: Bus[] = [];

beforeAll(async () => {
  nats = await startNatsServer();
});

afterAll(async () => {
  for (const bus of buses) await bus.close();
  await nats?.stop();
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
    // The engine composed over NATS (composeEngine): its worker on a connection of its own.
    const t = await startTestEngine({ ns, log, bus: engineBus, workerBus, concurrency: 2 });
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
    await startPipelineRun(t, bindings, {}, runId);

    let done: unknown;
    for (let i = 0; i < 1_000 && !done; i++) {
      done = (await t.store.readStream(runStream(runId))).find((e) => e.type === 'run.completed');
      if (!done) await new Promise((r) => setTimeout(r, 10));
    }
    expect(done).toMatchObject({ data: { status: 'succeeded' } });
    const events = log.entries.map((e) => e.event);
    expect(events.filter((e) => e === 'message.rejected').length).toBeGreaterThanOrEqual(garbage.length * 2);
    expect(events).not.toContain('bus.handler_failed');
    await t.stop();
  });
});
