/**
 * A lost `step.started`: NATS drops what a dead connection had not sent, and a cluster node that
 * dies drops what it was routing, without the worker's own connection noticing. The worker sends
 * its `step.started` again with the end, every time, so the run's log still says which worker ran
 * the attempt (the run host keeps the first copy of a fact).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Bus, BusStatus } from '../../../../src/actors/bus/bus.js';
import type { InboundEvent } from '../../../../src/actors/messages.js';
import { inboxSubject } from '../../../../src/actors/subjects.js';
import { startTestWorker, TEST_NS, TEST_RUN } from '../../../helpers/test-worker.js';

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
  let link: ReturnType<typeof cuttableBus> | undefined;
  let release: () => void = () => undefined;
  let started: () => void = () => undefined;
  const w = startTestWorker({
    executors: {
      held: () =>
        new Promise((resolve) => {
          release = () => resolve({ output: { ok: true }, artifacts: [] });
          started();
        }),
    },
    adjust: (bus) => {
      link = cuttableBus(bus);
    },
  });
  stops.push(() => w.stop());
  /** Every reply message the engine received, as the list of fact types it carried. */
  const messages: string[][] = [];
  const facts: InboundEvent[] = [];
  w.engineBus.subscribe(inboxSubject(TEST_NS, TEST_RUN), (m) => {
    const events = (m.json() as { events: InboundEvent[] }).events;
    messages.push(events.map((e) => e.type));
    facts.push(...events);
  });
  /** Dispatches one step of `held`; resolves once the executor is running. */
  const dispatch = (): Promise<void> => {
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    w.dispatch('held');
    return running;
  };
  const settle = () => new Promise((r) => setTimeout(r, 20));
  return {
    link: link as ReturnType<typeof cuttableBus>,
    dispatch,
    release: () => release(),
    messages,
    facts,
    settle,
  };
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

  it('is sent again with the end when this connection held (it may have been lost further on)', async () => {
    const t = setUp();
    await t.dispatch();
    await t.settle();
    t.release();
    await t.settle();
    expect(t.messages).toEqual([['step.started'], ['step.started', 'step.succeeded']]);
    expect(t.facts[0]).toEqual(t.facts[1]);
  });

  it('goes once when the end is made before its first copy has left (a quick step)', async () => {
    const w = startTestWorker({
      executors: { quick: async () => ({ output: { ok: true }, artifacts: [] }) },
    });
    stops.push(() => w.stop());
    const messages: InboundEvent[][] = [];
    w.engineBus.subscribe(inboxSubject(TEST_NS, TEST_RUN), (m) => {
      messages.push((m.json() as { events: InboundEvent[] }).events);
    });
    w.dispatch('quick');
    await new Promise((r) => setTimeout(r, 20));
    expect(messages.map((events) => events.map((e) => e.type))).toEqual([['step.started', 'step.succeeded']]);
    expect(new Set(messages.flat().map((e) => e.id)).size).toBe(2);
  });
});
