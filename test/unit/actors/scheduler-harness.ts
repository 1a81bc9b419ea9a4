import { z } from 'zod';
import type { Bus } from '../../../src/actors/bus/bus.js';
import { InMemoryBroker } from '../../../src/actors/bus/in-memory-broker.js';
import { createInMemoryBus } from '../../../src/actors/bus/in-memory-bus.js';
import { memoryLogger } from '../../../src/actors/logger.js';
import type { InboundEvent, InboxMessage } from '../../../src/actors/messages.js';
import { Scheduler, type SchedulerOptions } from '../../../src/actors/scheduler/scheduler.js';
import { ManualTimers } from '../../../src/actors/scheduler/timers.js';
import { eventSubject } from '../../../src/actors/subjects.js';
import { createBuiltinCatalog } from '../../../src/blueprints/builtins/index.js';
import { defineBlueprint } from '../../../src/blueprints/define.js';
import { JobRepository, memoryJobSource } from '../../../src/blueprints/jobs/repository.js';
import { SimulatedClock } from '../../../src/contracts/clock.js';
import { parseJobId, parseRunId, type RunId } from '../../../src/contracts/ids.js';
import type { EventStore } from '../../../src/eventstore/event-store.js';
import { createInMemoryEventStore } from '../../../src/eventstore/in-memory-event-store.js';
import { createUlidGenerator } from '../../../src/eventstore/system-ports.js';
import { cronCheck } from '../../../src/project/cron-check.js';

export const NS = 't';
export const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
export const MIN = 60_000;

/** A blueprint with a strict input schema (for job_input_invalid) and one that fails to compile. */
const greet = defineBlueprint({
  id: 'greet.v1',
  version: '1.0.0',
  summary: 'greets',
  bindings: z.object({}),
  input: z.strictObject({ name: z.string(), loud: z.boolean().default(false) }),
  output: z.object({}),
  compile: () => ({ steps: [{ id: 'say', executor: 'echo' }] }),
});
const broken = defineBlueprint({
  id: 'broken.v1',
  version: '1.0.0',
  summary: 'broken',
  bindings: z.object({}),
  input: z.object({}),
  output: z.object({}),
  compile: () => ({ steps: [{ id: 'a', executor: 'echo', needs: ['nope'] }] }),
});

export const job = (id: string, extra = ''): string =>
  [
    `id: ${id}`,
    `title: ${id}`,
    'target: {kind: blueprint, id: greet.v1}',
    'input: {name: world}',
    extra,
  ].join('\n');

export interface Harness {
  clock: SimulatedClock;
  timers: ManualTimers;
  store: EventStore;
  broker: InMemoryBroker;
  bus: Bus;
  inbox: InboxMessage[];
  log: ReturnType<typeof memoryLogger>;
  texts: Record<string, string>;
  scheduler: Scheduler;
  /** A new scheduler on the same store, bus and clock (a restart). */
  restart(): Promise<Scheduler>;
  /** Publishes run.completed for a run as the run host would. */
  complete(jobId: string, runId: string): Promise<void>;
  /** Moves the clock (firing timers) and lets the work settle. */
  advance(ms: number): Promise<void>;
  /** Inbox events of one type. */
  facts(type: string): { runId: string; id: string; data: Record<string, unknown> }[];
}

export const harness = async (
  texts: Record<string, string>,
  over: Partial<SchedulerOptions> = {},
  store: EventStore = createInMemoryEventStore(),
): Promise<Harness> => {
  const clock = new SimulatedClock(T0);
  const timers = new ManualTimers(clock);
  const broker = new InMemoryBroker();
  const bus = createInMemoryBus({ broker });
  // The run host, as the scheduler sees it: the facts it hands over in-process.
  const inbox: InboxMessage[] = [];
  const runInbox = {
    deliver: async (runId: RunId, events: readonly InboundEvent[]) => {
      inbox.push({ runId, events: [...events] });
    },
  };
  const log = memoryLogger();
  const catalog = createBuiltinCatalog();
  catalog.blueprints.register(greet);
  catalog.blueprints.register(broken);
  const make = () =>
    new Scheduler({
      store,
      bus,
      ns: NS,
      clock,
      log,
      inbox: runInbox,
      jobs: new JobRepository(memoryJobSource(texts), { checks: [cronCheck] }),
      catalog,
      ids: createUlidGenerator(clock),
      kernelVersion: '0.1.0-test',
      env: { node: 'test' },
      timers,
      ...over,
    });
  const h: Harness = {
    clock,
    timers,
    store,
    broker,
    bus,
    inbox,
    log,
    texts,
    scheduler: make(),
    restart: async () => {
      await h.scheduler.stop();
      h.scheduler = make();
      timers.idle = () => h.scheduler.idle();
      await h.scheduler.start();
      await settle(h);
      return h.scheduler;
    },
    complete: async (jobId, runId) => {
      const e = { stream: `run/${runId}`, type: 'run.completed', data: { status: 'succeeded' } };
      bus.publish(eventSubject(NS, parseJobId(jobId), parseRunId(runId), 'run.completed'), e);
      await settle(h);
    },
    advance: async (ms) => {
      await timers.advance(ms);
      await settle(h);
    },
    facts: (type) =>
      inbox.flatMap((m) =>
        m.events
          .filter((e) => e.type === type)
          .map((e) => ({ runId: m.runId, id: e.id, data: e.data as Record<string, unknown> })),
      ),
  };
  timers.idle = () => h.scheduler.idle();
  await h.scheduler.start();
  await settle(h);
  return h;
};

/** Lets bus deliveries and the scheduler's work settle. */
export const settle = async (h: Pick<Harness, 'bus' | 'scheduler'>): Promise<void> => {
  for (let i = 0; i < 3; i++) {
    await h.bus.flush();
    await h.scheduler.idle();
  }
};
