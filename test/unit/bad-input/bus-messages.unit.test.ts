/**
 * Hostile bus messages against the engine's run host and a worker (in-memory bus and stores):
 * garbage bytes, wrong schemas, payloads near and over the max payload, replayed facts, and
 * forged seals. Nothing of it may reach the log, crash a subscriber, or run a command; a valid
 * run afterwards still completes.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createInMemoryBus, DEFAULT_MAX_PAYLOAD } from '../../../src/actors/bus/index.js';
import { memoryLogger } from '../../../src/actors/logger.js';
import type { ExecItem } from '../../../src/actors/messages.js';
import { inboxMessageSchema } from '../../../src/actors/messages.js';
import { execSubject, inboxSubject } from '../../../src/actors/subjects.js';
import { createEngineKeys } from '../../../src/actors/trust/engine-keys.js';
import { EngineSeals, emptySealBook } from '../../../src/actors/trust/engine-seals.js';
import { type RunId, runStream } from '../../../src/contracts/index.js';
import { createUlidGenerator } from '../../../src/eventstore/index.js';
import { startPipelineRun, startTestEngine, type TestEngine } from '../../helpers/test-engine.js';

const ns = 'bad';
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** An engine composed with in-memory adapters (composeEngine), and an attacker on the same broker. */
const setup = async () => {
  const log = memoryLogger();
  const t: TestEngine = await startTestEngine({ ns, log });
  const attacker = createInMemoryBus({ broker: t.broker });
  cleanups.push(async () => {
    await attacker.close();
    await t.stop();
  });
  const { store, bus, broker, catalog, dir, keys } = t;
  return { store, bus, attacker, broker, host: t.engine.host, engine: t.engine, catalog, dir, log, keys };
};
type Ctx = Awaited<ReturnType<typeof setup>>;

const startRun = (ctx: Ctx, steps: unknown[]) => startPipelineRun(ctx, { steps });

const waitCompleted = async (ctx: Ctx, runId: RunId) => {
  for (let i = 0; i < 500; i++) {
    const events = await ctx.store.readStream(runStream(runId));
    const done = events.find((e) => e.type === 'run.completed');
    if (done) return { done, events };
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`run ${runId} did not complete`);
};

const settle = async (ctx: Ctx) => {
  await ctx.attacker.flush();
  await ctx.bus.flush();
  await new Promise((r) => setTimeout(r, 20));
};

const ECHO = [{ id: 'a', executor: 'echo', with: { value: { n: 1 } } }];
const rejected = (ctx: Ctx) => ctx.log.entries.filter((e) => e.event === 'message.rejected');
const handlerFailures = (ctx: Ctx) => ctx.log.entries.filter((e) => e.event === 'bus.handler_failed');

describe('garbage and wrong schemas on the inbox and exec subjects', () => {
  it('drops them as message.rejected, appends nothing, and keeps serving runs', async () => {
    const ctx = await setup();
    const runId = await startRun(ctx, ECHO);
    await waitCompleted(ctx, runId);
    const before = await ctx.store.lastPosition();
    const inbox = inboxSubject(ns, runId);
    const exec = execSubject(ns, 'command');
    const garbage = [
      new Uint8Array([0xff, 0xfe, 0x00, 0x01]),
      new TextEncoder().encode('{"runId": '),
      new TextEncoder().encode('null'),
      new Uint8Array(0),
      new TextEncoder().encode(`${'['.repeat(50_000)}${']'.repeat(50_000)}`),
    ];
    for (const subject of [inbox, exec])
      for (const bytes of garbage) ctx.attacker.publishBytes(subject, bytes);
    const wrong: unknown[] = [
      { runId, events: [] },
      { runId, events: [{ id: 'x', type: 'step.succeeded' }] },
      { runId: 42, events: 'all of them' },
      { items: [{ kind: 'step', runId, jobId: 'demo', data: { stepId: 'a' } }] },
      { items: [{ kind: 'nuke', runId }] },
    ];
    const deep = `{"runId":"${runId}","events":[{"id":"x","type":"step.succeeded","at":0,"producer":"p","data":${'['.repeat(20_000)}${']'.repeat(20_000)}}]}`;
    ctx.attacker.publishBytes(inbox, new TextEncoder().encode(deep));
    const deepItems = `{"items":[{"kind":"step","runId":"${runId}","jobId":"d","data":{"input":${'['.repeat(20_000)}${']'.repeat(20_000)}}}]}`;
    ctx.attacker.publishBytes(exec, new TextEncoder().encode(deepItems));
    for (const subject of [inbox, exec]) for (const payload of wrong) ctx.attacker.publish(subject, payload);
    await settle(ctx);
    expect(handlerFailures(ctx)).toEqual([]);
    expect(rejected(ctx).length).toBeGreaterThanOrEqual((garbage.length + wrong.length) * 2 - 2);
    expect(await ctx.store.lastPosition()).toBe(before);
    const next = await startRun(ctx, ECHO);
    expect((await waitCompleted(ctx, next)).done.data).toMatchObject({ status: 'succeeded' });
  });

  it('refuses to send a payload over the max payload (bus_payload_too_large); one just under it is rejected by schema', async () => {
    const ctx = await setup();
    const runId = await startRun(ctx, ECHO);
    await waitCompleted(ctx, runId);
    const before = await ctx.store.lastPosition();
    const inbox = inboxSubject(ns, runId);
    const filler = (bytes: number) => ({ runId, events: [], pad: 'x'.repeat(bytes) });
    const overhead = JSON.stringify(filler(0)).length;
    expect(() => ctx.attacker.publish(inbox, filler(DEFAULT_MAX_PAYLOAD - overhead + 1))).toThrow(
      expect.objectContaining({ code: 'bus_payload_too_large' }),
    );
    ctx.attacker.publish(inbox, filler(DEFAULT_MAX_PAYLOAD - overhead));
    await settle(ctx);
    expect(rejected(ctx).at(-1)).toMatchObject({ reason: 'schema_invalid', bytes: DEFAULT_MAX_PAYLOAD });
    expect(await ctx.store.lastPosition()).toBe(before);
  });

  it('a fact for an unknown run, or an unknown type for a live run, is dropped', async () => {
    const ctx = await setup();
    const runId = await startRun(ctx, ECHO);
    await waitCompleted(ctx, runId);
    const before = await ctx.store.lastPosition();
    const ghost = createUlidGenerator().runId();
    const fact = { id: 'f1', type: 'step.succeeded', at: 0, producer: 'evil', data: {} };
    ctx.attacker.publish(inboxSubject(ns, ghost), { runId: ghost, events: [fact] });
    ctx.attacker.publish(inboxSubject(ns, runId), { runId: '../../etc', events: [fact] });
    await settle(ctx);
    expect(await ctx.store.lastPosition()).toBe(before);
    expect(inboxMessageSchema.safeParse({ runId, events: [fact] }).success).toBe(true);
  });
});

describe('replayed facts', () => {
  it('a re-sent step.succeeded for a finished dispatch is dropped, under its id or a new one', async () => {
    const ctx = await setup();
    const runId = await startRun(ctx, [...ECHO, { id: 'b', executor: 'echo', with: { value: 2 } }]);
    const { events } = await waitCompleted(ctx, runId);
    const first = events.find((e) => e.type === 'step.succeeded') as (typeof events)[number];
    const replay = (id: string) => ({
      id,
      type: 'step.succeeded',
      at: 0,
      data: first.data,
      producer: 'replayer',
    });
    ctx.attacker.publish(inboxSubject(ns, runId), {
      runId,
      events: [replay(first.id), replay(`${first.id}-again`)],
    });
    await ctx.host.deliver(runId, [replay(first.id), replay(`${first.id}-again`)]);
    await settle(ctx);
    expect(await ctx.store.readStream(runStream(runId))).toHaveLength(events.length);
  });

  it('a replayed earlier step.succeeded while the run is still going is not appended twice', async () => {
    const ctx = await setup();
    const slow = [...ECHO, { id: 'b', run: [process.execPath, '-e', 'setTimeout(() => {}, 300)'] }];
    const runId = await startRun(ctx, slow);
    let events = await ctx.store.readStream(runStream(runId));
    for (
      let i = 0;
      i < 300 &&
      !events.some((e) => e.type === 'step.started' && (e.data as { stepId: string }).stepId === 'b');
      i++
    ) {
      await new Promise((r) => setTimeout(r, 10));
      events = await ctx.store.readStream(runStream(runId));
    }
    const a = events.find((e) => e.type === 'step.succeeded') as (typeof events)[number];
    await ctx.host.deliver(runId, [
      { id: `${a.id}-replayed`, type: 'step.succeeded', at: 0, data: a.data, producer: 'replayer' },
    ]);
    const done = await waitCompleted(ctx, runId);
    expect(done.done.data).toMatchObject({ status: 'succeeded' });
    const succeededA = done.events.filter(
      (e) => e.type === 'step.succeeded' && (e.data as { stepId: string }).stepId === 'a',
    );
    expect(succeededA).toHaveLength(1);
  });
});

describe('forged seals', () => {
  const item = (runId: RunId, file: string, attempt = 1): ExecItem => ({
    kind: 'step',
    runId,
    jobId: 'demo',
    data: {
      stepId: 'evil',
      attempt,
      dispatchId: `${runId}/evil/${attempt}`,
      executor: 'command',
      input: null,
      idempotent: true,
      dryRun: false,
      with: {
        argv: [process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(file)}, 'pwned')`],
      },
    },
  });

  /** Publishes one dispatch and waits until the worker refused it (a warn log) or answered it. */
  const attempt = async (ctx: Ctx, runId: RunId, dispatch: ExecItem) => {
    const facts: { type: string }[] = [];
    const sub = ctx.attacker.subscribe(inboxSubject(ns, runId), (m) => {
      facts.push(...(m.json() as { events: typeof facts }).events);
    });
    const from = ctx.log.entries.length;
    const refusals = () => ctx.log.entries.slice(from).filter((e) => e.event === 'dispatch.refused');
    ctx.attacker.publish(execSubject(ns, 'command'), { items: [dispatch] });
    for (
      let i = 0;
      i < 300 && refusals().length === 0 && !facts.some((f) => f.type === 'step.succeeded');
      i++
    ) {
      await new Promise((r) => setTimeout(r, 10));
    }
    sub.unsubscribe();
    return { facts, refusals: refusals() };
  };

  it('refuses an unsealed dispatch, a seal of another key, run, step, attempt or content, and an expired one; runs a valid one', async () => {
    const ctx = await setup();
    const runId = createUlidGenerator().runId();
    const otherRun = createUlidGenerator().runId();
    const engine = new EngineSeals(ctx.keys);
    const sealed = (d: ExecItem, seals = engine, at = Date.now()) =>
      seals.seal(d, emptySealBook(), false, at);
    const file = (name: string) => join(ctx.dir, `${name}.txt`);
    const tampered = (name: string): ExecItem => {
      const real = sealed(item(runId, file(name)));
      const data = { ...real.data, with: { argv: [process.execPath, '-e', 'process.exit(0)'] } };
      return { ...real, data } as ExecItem;
    };
    const forged: Record<string, [ExecItem, string]> = {
      none: [item(runId, file('none')), 'unsealed'],
      garbage: [
        { ...item(runId, file('garbage')), seal: { grant: 'not.a.seal', replyKey: 'x' } },
        'bad_signature',
      ],
      otherKey: [sealed(item(runId, file('otherKey')), new EngineSeals(createEngineKeys())), 'bad_signature'],
      otherRun: [
        { ...item(runId, file('otherRun')), seal: sealed(item(otherRun, file('otherRun'))).seal } as ExecItem,
        'wrong_dispatch',
      ],
      otherAttempt: [
        {
          ...item(runId, file('otherAttempt'), 2),
          seal: sealed(item(runId, file('otherAttempt'))).seal,
        } as ExecItem,
        'wrong_dispatch',
      ],
      content: [tampered('content'), 'digest_mismatch'],
      expired: [sealed(item(runId, file('expired')), engine, Date.now() - 25 * 3_600_000), 'expired'],
    };
    for (const [name, [dispatch, reason]] of Object.entries(forged)) {
      const { facts, refusals } = await attempt(ctx, runId, dispatch);
      expect(
        refusals.map((r) => [r.level, r.reason]),
        name,
      ).toEqual([['warn', reason]]);
      // Only an authentic dispatch that expired is answered (a retryable failure).
      expect(
        facts.map((f) => f.type),
        name,
      ).toEqual(name === 'expired' ? ['step.failed'] : []);
      expect(existsSync(file(name)), `${name}: the command ran`).toBe(false);
    }
    const valid = await attempt(ctx, runId, sealed(item(runId, file('valid'))));
    expect(valid.facts.map((f) => f.type)).toContain('step.succeeded');
    expect(existsSync(file('valid'))).toBe(true);
  });
});
