import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import type { Bus, BusMessage, RejectedMessage } from '../../src/actors/bus/bus.js';
import { memoryLogger } from '../../src/actors/logger.js';
import { hasErrorCode } from '../../src/contracts/index.js';
import { busFactories } from './bus-factories.js';

const WAIT = { timeout: 10_000, interval: 5 };

/** Collects decoded payloads of one subscription. */
const collect = (bus: Bus, pattern: string, queue?: string) => {
  const got: { subject: string; data: unknown }[] = [];
  const sub = bus.subscribe(pattern, (m) => void got.push({ subject: m.subject, data: m.json() }), {
    ...(queue ? { queue } : {}),
  });
  return { got, sub };
};

const rejectsWith = async (p: Promise<unknown>, code: Parameters<typeof hasErrorCode>[1]) => {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(hasErrorCode(e, code), `expected ${code}, got ${String(e)}`).toBe(true);
};

const throwsWith = (fn: () => unknown, code: Parameters<typeof hasErrorCode>[1]) => {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(hasErrorCode(caught, code), `expected ${code}, got ${String(caught)}`).toBe(true);
};

describe.each(busFactories())('Bus contract: $name', (factory) => {
  let a: Bus;
  let b: Bus;
  let n = 0;
  /** A fresh subject root per test so tests never see each other's messages. */
  const root = () => `t${++n}`;

  beforeAll(async () => {
    await factory.setup();
    a = await factory.connect();
    b = await factory.connect();
  });
  afterAll(() => factory.teardown());

  it('delivers JSON payloads from one client to another', async () => {
    const r = root();
    const { got } = collect(b, `${r}.x`);
    await b.flush();
    a.publish(`${r}.x`, { hello: 'world', n: [1, 2.5, null] });
    await vi.waitFor(
      () => expect(got).toEqual([{ subject: `${r}.x`, data: { hello: 'world', n: [1, 2.5, null] } }]),
      WAIT,
    );
  });

  it('matches * to exactly one token and > to one or more trailing tokens', async () => {
    const r = root();
    const star = collect(b, `${r}.*.end`);
    const tail = collect(b, `${r}.>`);
    const end = collect(b, `${r}.done`);
    await b.flush();
    for (const s of [`${r}.a.end`, `${r}.a.b.end`, `${r}.end`, `${r}.a`, `${r}.a.b.c`]) a.publish(s, s);
    a.publish(`${r}x.a.end`, 'other root');
    a.publish(r, '> needs at least one more token');
    a.publish(`${r}.done`, 'done');
    await vi.waitFor(() => expect(end.got).toHaveLength(1), WAIT);
    expect(star.got.map((m) => m.subject)).toEqual([`${r}.a.end`]);
    expect(tail.got.map((m) => m.subject)).toEqual([
      `${r}.a.end`,
      `${r}.a.b.end`,
      `${r}.end`,
      `${r}.a`,
      `${r}.a.b.c`,
      `${r}.done`,
    ]);
  });

  it('gives each message to exactly one member of a queue group, and to every plain subscriber', async () => {
    const r = root();
    const members = [b, await factory.connect(), await factory.connect()];
    const groups = members.map((m) => collect(m, `${r}.work`, 'workers'));
    const plain = collect(b, `${r}.work`);
    const ends = members.map((m) => collect(m, `${r}.end`));
    await Promise.all(members.map((m) => m.flush()));
    for (let i = 0; i < 60; i++) a.publish(`${r}.work`, i);
    a.publish(`${r}.end`, true);
    await vi.waitFor(() => expect(ends.every((e) => e.got.length === 1)).toBe(true), WAIT);
    const all = groups.flatMap((g) => g.got.map((m) => m.data as number));
    expect(all.sort((x, y) => x - y)).toEqual([...Array(60).keys()]);
    expect(plain.got).toHaveLength(60);
  });

  it('answers requests through msg.respond, and validates typed replies', async () => {
    const r = root();
    b.subscribe(`${r}.double`, (m) => {
      m.respond({ value: (m.json() as { value: number }).value * 2 });
    });
    await b.flush();
    const reply = await a.request(`${r}.double`, { value: 21 }, { timeoutMs: 5_000 });
    expect(reply.json()).toEqual({ value: 42 });
    const typed = await a.requestTyped(`${r}.double`, { value: 4 }, z.object({ value: z.number() }), {
      timeoutMs: 5_000,
    });
    expect(typed).toEqual({ value: 8 });
    await rejectsWith(
      a.requestTyped(`${r}.double`, { value: 1 }, z.object({ value: z.string() }), { timeoutMs: 5_000 }),
      'message_invalid',
    );
  });

  it('fails a request with bus_timeout when nobody answers in time', async () => {
    const r = root();
    b.subscribe(`${r}.silent`, () => {});
    await b.flush();
    await rejectsWith(a.request(`${r}.silent`, {}, { timeoutMs: 50 }), 'bus_timeout');
  });

  it('fails a request with bus_no_responders when nobody subscribes', async () => {
    await rejectsWith(a.request(`${root()}.nobody`, {}, { timeoutMs: 5_000 }), 'bus_no_responders');
  });

  it('drops malformed and schema-invalid messages on a typed subscription, logs them and calls onRejected', async () => {
    const r = root();
    const logger = memoryLogger();
    const typedBus = await factory.connect(logger);
    const schema = z.object({ kind: z.literal('ping'), n: z.number().int() });
    const accepted: number[] = [];
    const rejected: RejectedMessage[] = [];
    typedBus.subscribeTyped(`${r}.typed`, schema, (data) => void accepted.push(data.n), {
      onRejected: (rej) => {
        rejected.push(rej);
        throw new Error('a failing hook must not break the subscription either');
      },
    });
    await typedBus.flush();
    a.publishBytes(`${r}.typed`, new TextEncoder().encode('{not json'));
    a.publishBytes(`${r}.typed`, new Uint8Array([0xff, 0xfe, 0x00]));
    a.publish(`${r}.typed`, { kind: 'pong', n: 1 });
    a.publish(`${r}.typed`, { kind: 'ping', n: 'two' });
    a.publish(`${r}.typed`, { kind: 'ping', n: 3 });
    await vi.waitFor(() => expect(accepted).toEqual([3]), WAIT);
    expect(rejected.map((x) => x.reason)).toEqual([
      'malformed_json',
      'malformed_json',
      'schema_invalid',
      'schema_invalid',
    ]);
    expect(rejected[3]?.issues.join()).toMatch(/^n: /);
    const warned = logger.entries.filter((e) => e.event === 'message.rejected');
    expect(warned).toHaveLength(4);
    expect(warned.every((e) => e.level === 'warn' && e.subject === `${r}.typed`)).toBe(true);
  });

  it('keeps delivering after a handler throws or rejects, and logs the failure', async () => {
    const r = root();
    const logger = memoryLogger();
    const bus = await factory.connect(logger);
    const seen: number[] = [];
    bus.subscribe(`${r}.flaky`, (m: BusMessage) => {
      const i = m.json() as number;
      seen.push(i);
      if (i === 0) throw new Error('sync boom');
      if (i === 1) return Promise.reject(new Error('async boom'));
    });
    await bus.flush();
    for (const i of [0, 1, 2]) a.publish(`${r}.flaky`, i);
    await vi.waitFor(() => expect(seen).toEqual([0, 1, 2]), WAIT);
    await vi.waitFor(
      () => expect(logger.entries.filter((e) => e.event === 'bus.handler_failed')).toHaveLength(2),
      WAIT,
    );
  });

  it('delivers messages of one publisher in publish order', async () => {
    const r = root();
    const { got } = collect(b, `${r}.seq.*`);
    await b.flush();
    for (let i = 0; i < 500; i++) a.publish(`${r}.seq.${i % 3}`, i);
    await vi.waitFor(() => expect(got).toHaveLength(500), WAIT);
    expect(got.map((m) => m.data)).toEqual([...Array(500).keys()]);
  });

  it('stops delivering after unsubscribe', async () => {
    const r = root();
    const gone = collect(b, `${r}.u`);
    const stays = collect(b, `${r}.u`);
    await b.flush();
    a.publish(`${r}.u`, 1);
    await vi.waitFor(() => expect(gone.got).toHaveLength(1), WAIT);
    gone.sub.unsubscribe();
    await b.flush();
    a.publish(`${r}.u`, 2);
    await vi.waitFor(() => expect(stays.got).toHaveLength(2), WAIT);
    expect(gone.got).toHaveLength(1);
  });

  it('rejects invalid subjects, patterns, queue names and payloads', () => {
    throwsWith(() => a.publish('a.*', 1), 'bus_subject_invalid');
    throwsWith(() => a.publish('a..b', 1), 'bus_subject_invalid');
    throwsWith(() => a.publish('a b', 1), 'bus_subject_invalid');
    throwsWith(() => a.subscribe('a.>.b', () => {}), 'bus_subject_invalid');
    throwsWith(() => a.subscribe('a.b*', () => {}), 'bus_subject_invalid');
    throwsWith(() => a.subscribe('a.b', () => {}, { queue: 'q w' }), 'bus_subject_invalid');
    throwsWith(() => a.publish('a.b', 10n), 'message_invalid');
    throwsWith(() => a.publish('a.b', undefined), 'message_invalid');
    throwsWith(() => a.publishBytes('a.b', new Uint8Array(2 * 1024 * 1024)), 'bus_payload_too_large');
  });

  it('drains: handlers of received messages finish and their replies are sent, then the bus is closed', async () => {
    const r = root();
    const bus = await factory.connect();
    const statuses: string[] = [];
    bus.onStatus((s) => void statuses.push(s.type));
    const done: number[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const arrived: number[] = [];
    bus.subscribe(`${r}.slow`, async (m) => {
      arrived.push(m.json() as number);
      await gate;
      done.push(m.json() as number);
      m.respond({ ok: m.json() });
    });
    await bus.flush();
    for (let i = 0; i < 10; i++) a.publish(`${r}.slow`, i);
    const reply = a.request(`${r}.slow`, 10, { timeoutMs: 10_000 });
    await vi.waitFor(() => expect(arrived).toHaveLength(11), WAIT);
    const drained = bus.drain();
    release();
    await drained;
    expect(done).toHaveLength(11);
    expect((await reply).json()).toEqual({ ok: 10 });
    expect(bus.isClosed()).toBe(true);
    expect(statuses).toContain('closed');
    throwsWith(() => bus.publish(`${r}.slow`, 1), 'bus_closed');
    throwsWith(() => bus.subscribe(`${r}.slow`, () => {}), 'bus_closed');
    await rejectsWith(bus.request(`${r}.slow`, 1, { timeoutMs: 100 }), 'bus_closed');
    await bus.drain();
  });

  it('sendNow sends what was published, and never throws, not even once the bus is closed', async () => {
    const r = root();
    const bus = await factory.connect();
    const { got } = collect(b, `${r}.now`);
    await b.flush();
    bus.sendNow();
    bus.publish(`${r}.now`, 1);
    bus.publish(`${r}.now`, 2);
    bus.sendNow();
    bus.sendNow();
    await vi.waitFor(() => expect(got.map((m) => m.data)).toEqual([1, 2]), WAIT);
    await bus.close();
    expect(() => bus.sendNow()).not.toThrow();
  });

  it('delivers nothing more to a subscription after the bus is closed', async () => {
    const r = root();
    const bus = await factory.connect();
    const { got } = collect(bus, `${r}.c`);
    const witness = collect(b, `${r}.c`);
    await Promise.all([bus.flush(), b.flush()]);
    await bus.close();
    a.publish(`${r}.c`, 1);
    await vi.waitFor(() => expect(witness.got).toHaveLength(1), WAIT);
    expect(got).toHaveLength(0);
    expect(bus.isClosed()).toBe(true);
  });
});
