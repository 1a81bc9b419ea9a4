/**
 * What the run host keeps of finished runs is bounded, and the log answers for the rest: after
 * more runs finish than it remembers, it remembers at most its cap; a worker's answer to a
 * dispatch cancelled by a run it no longer remembers is still appended to that run's stream
 * once (the run host reads the run from the log, as after a restart). Engine with in-memory
 * adapters and no worker: the test takes the dispatches and answers them as a worker would.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type ExecItem, type InboundEvent, runRequestReplySchema } from '../../../../src/actors/messages.js';
import {
  cancelSubject,
  eventTypePattern,
  execSubject,
  inboxSubject,
  schedSubject,
} from '../../../../src/actors/subjects.js';
import { proveFact } from '../../../../src/actors/trust/reply-proof.js';
import { cancelledFact, type FactStamp, startedFacts } from '../../../../src/actors/worker/dispatch-facts.js';
import { type RunId, runStream } from '../../../../src/contracts/index.js';
import { startTestEngine, type TestEngine, waitCompleted } from '../../../helpers/test-engine.js';

type Ctx = { t: TestEngine; dispatched: Map<string, ExecItem> };
type StepItem = Extract<ExecItem, { kind: 'step' }>;

const ns = 'fin';
const KEPT = 2;
const JOB = `id: one
title: one step
target: { kind: blueprint, id: pipeline.v1 }
bindings:
  steps:
    - { id: a, executor: echo, with: { value: { n: 1 } } }
`;

let t: TestEngine | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

const setup = async (): Promise<Ctx> => {
  t = await startTestEngine({ ns, noWorker: true, jobs: { one: JOB }, ports: { finishedKept: KEPT } });
  const dispatched = new Map<string, ExecItem>();
  t.bus.subscribe(execSubject(ns, 'echo'), (m) => {
    for (const item of (m.json() as { items: ExecItem[] }).items) dispatched.set(item.runId, item);
  });
  return { t, dispatched };
};

/** A worker's fact for the run's dispatch, proven with the reply key the dispatch carried. */
const reply = async (ctx: Ctx, runId: RunId, make: (item: StepItem, stamp: FactStamp) => InboundEvent) => {
  const item = ctx.dispatched.get(runId) as StepItem;
  const key = Buffer.from(item.seal?.replyKey ?? '', 'base64url');
  const fact = proveFact(key, make(item, { at: Date.now(), producer: 'worker/w1' }));
  ctx.t.bus.publish(inboxSubject(ns, runId), { runId, events: [fact] });
  await ctx.t.bus.flush();
};

const until = async (ctx: Ctx, runId: RunId, type: string) => {
  for (let i = 0; i < 500; i++) {
    if ((await ctx.t.store.readStream(runStream(runId))).some((e) => e.type === type)) return;
    await ctx.t.bus.flush();
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`no ${type} in ${runId}`);
};

/**
 * Starts a one-step run, has its dispatch started, then cancels the run: it ends with that
 * dispatch cancelled and not answered yet.
 */
const cancelledRun = async (ctx: Ctx): Promise<RunId> => {
  const requested = await ctx.t.bus.requestTyped(
    schedSubject(ns),
    { type: 'run.request', jobId: 'one' },
    runRequestReplySchema,
    { timeoutMs: 5_000 },
  );
  if (!requested.ok) throw new Error(requested.error.message);
  const runId = requested.runId as RunId;
  await until(ctx, runId, 'step.dispatched');
  for (let i = 0; i < 500 && !ctx.dispatched.has(runId); i++) {
    await ctx.t.bus.flush();
    await new Promise((r) => setTimeout(r, 5));
  }
  await reply(ctx, runId, (item, stamp) => startedFacts(item, 'w1', stamp)[0] as InboundEvent);
  await until(ctx, runId, 'step.started');
  await ctx.t.engine.host.deliver(runId, [
    {
      id: `${runId}/cancel_requested`,
      type: 'run.cancel_requested',
      at: Date.now(),
      data: { by: 'ann' },
      producer: 'test',
    },
  ]);
  await waitCompleted(ctx.t.store, runId);
  return runId;
};

/** The worker's answer to the cancelled dispatch: it stopped the step. */
const answerCancel = (ctx: Ctx, runId: RunId) =>
  reply(ctx, runId, (item, stamp) =>
    cancelledFact(item, 'cancelled', stamp, { error: new Error('stopped'), durationMs: 1 }),
  );

const answersAfterEnd = async (ctx: Ctx, runId: RunId, want: number) => {
  let late: string[] = [];
  for (let i = 0; i < 500; i++) {
    const events = await ctx.t.store.readStream(runStream(runId));
    const end = events.findIndex((e) => e.type === 'run.completed');
    late = events.slice(end + 1).map((e) => e.type);
    if (late.length >= want) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  return late;
};

describe('finished runs the run host remembers', () => {
  it('given more runs finish than it keeps, it remembers at most its cap', async () => {
    const ctx = await setup();
    for (let i = 0; i < KEPT + 3; i++) await cancelledRun(ctx);
    expect(ctx.t.engine.host.finishedRemembered()).toBe(KEPT);
    expect(ctx.t.engine.host.inFlight()).toBe(0);
  });

  it.each([
    ['still remembered', 0],
    ['no longer remembered (read from the log)', KEPT + 1],
  ])(
    'an answer to a dispatch cancelled by a run %s is appended once, after run.completed',
    async (_, later) => {
      const ctx = await setup();
      const runId = await cancelledRun(ctx);
      for (let i = 0; i < later; i++) await cancelledRun(ctx);
      await answerCancel(ctx, runId);
      const got = await answersAfterEnd(ctx, runId, 1);
      expect(got).toEqual(['step.cancelled']);
      // Sent again: the run is remembered once more, with nothing left open; nothing is appended.
      await answerCancel(ctx, runId);
      await new Promise((r) => setTimeout(r, 50));
      expect(await answersAfterEnd(ctx, runId, 1)).toEqual(['step.cancelled']);
      expect(ctx.t.engine.host.finishedRemembered()).toBeLessThanOrEqual(KEPT);
    },
  );
});

describe('an append whose commands cannot be published', () => {
  it('still publishes its events: run.completed reaches the bus when the cancel it sends is refused', async () => {
    const ctx = await setup();
    const completed: string[] = [];
    ctx.t.bus.subscribe(eventTypePattern(ns, 'run.completed'), (m) => {
      completed.push((m.json() as { stream: string }).stream);
    });
    // The bus refuses the cancel the run sends to its running dispatch (as a closed connection would).
    const bus = ctx.t.bus as { publishBytes: (subject: string, data: Uint8Array) => void };
    const publishBytes = bus.publishBytes.bind(ctx.t.bus);
    let refused = 0;
    bus.publishBytes = (subject, data) => {
      if (subject === cancelSubject(ns, 'echo')) {
        refused += 1;
        throw new Error('bus closed');
      }
      publishBytes(subject, data);
    };
    const runId = await cancelledRun(ctx).catch(() => undefined);
    expect(refused).toBeGreaterThan(0);
    expect(runId).toBeDefined();
    for (let i = 0; i < 200 && !completed.includes(runStream(runId as RunId)); i++) {
      await ctx.t.bus.flush();
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(completed).toContain(runStream(runId as RunId));
  });
});
