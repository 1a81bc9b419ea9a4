import { afterEach, describe, expect, it } from 'vitest';
import { type Catalog, createBuiltinCatalog } from '../../../src/blueprints/index.js';
import type { ExecutorFn } from '../../../src/contracts/executor.js';
import { LilyError } from '../../../src/contracts/errors.js';
import { type RunId, runStream } from '../../../src/contracts/index.js';
import type { AppendOptions, EventStore } from '../../../src/eventstore/event-store.js';
import { createInMemoryEventStore } from '../../../src/eventstore/index.js';
import { startTestEngine, type TestEngine, waitCompleted } from '../../helpers/test-engine.js';

const W3 = `id: w3
title: W3
target: { kind: blueprint, id: pipeline.v1 }
bindings:
  steps:
    - { id: a, executor: echo, with: { value: { a: 1 } } }
    - { id: b, executor: echo, with: { value: { b: 2 } } }
    - { id: c, executor: echo, with: { value: { c: 3 } } }
`;

/**
 * A store whose appends are durable only when the test says: `append` commits at once (the
 * batch is written, `onWritten` runs), then waits for `flushOne()` before it resolves. Every
 * commit and every flush goes into `trace`, beside what the bus carried.
 */
const heldStore = (trace: string[]) => {
  const inner = createInMemoryEventStore();
  const waiting: (() => void)[] = [];
  const store: EventStore = {
    ...inner,
    async append(stream, events, o: AppendOptions = {}) {
      const name = stream.split('/')[0];
      const types = events.map((e) => e.type).join(',');
      const result = await inner.append(stream, events, {
        ...o,
        onWritten: (r) => {
          trace.push(`commit ${name} ${types}`);
          o.onWritten?.(r);
        },
      });
      await new Promise<void>((resolve) => waiting.push(resolve));
      trace.push(`flushed ${name} ${types}`);
      return result;
    },
  };
  return {
    store,
    pending: () => waiting.length,
    flushOne: () => waiting.shift()?.(),
  };
};

const engines: TestEngine[] = [];
afterEach(async () => {
  for (const e of engines.splice(0).reverse()) await e.stop();
});

describe('the request path in one flush, dispatches overlapping the flush', () => {
  it('records run.requested, run.started and the first dispatch in one append of the run stream', async () => {
    const t = await startTestEngine({ jobs: { w3: W3 } });
    engines.push(t);
    const { runId } = await t.engine.scheduler.requestRun({ jobId: 'w3', trigger: { kind: 'manual' } });
    // Acknowledged: the request and the start are in the log already, in the run's first append.
    const first = await t.store.readStream(runStream(runId));
    expect(first.map((e) => e.type)).toEqual([
      'run.requested',
      'run.started',
      'policy.requested',
      'policy.decided',
      'step.dispatched',
    ]);
    const { done, events } = await waitCompleted(t.store, runId);
    expect(done.data).toMatchObject({ status: 'succeeded' });
    expect(events.filter((e) => e.type === 'run.requested')).toHaveLength(1);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    // The job's run index lists it.
    const job = await t.store.readStream('job/w3');
    expect(job.map((e) => (e.data as { runId?: string }).runId)).toContain(runId);
  });

  /**
   * Runs one request of `jobId` over a held store, flushing one append at a time until the run
   * is complete; returns the trace of commits, flushes and what the engine published.
   */
  const traceOneRun = async (jobId: string, jobs: Record<string, string>, catalog?: Catalog) => {
    const trace: string[] = [];
    const held = heldStore(trace);
    const t = await startTestEngine({ jobs, store: held.store, ...(catalog ? { catalog } : {}) });
    engines.push(t);
    // What the engine publishes, as it publishes it (delivery may come later).
    const publish = t.bus.publishBytes.bind(t.bus);
    t.bus.publishBytes = (subject, data, opts) => {
      const message = JSON.parse(new TextDecoder().decode(data));
      if (subject.startsWith('lily.test.cmd.exec.')) trace.push(`dispatch ${message.items[0].data.stepId}`);
      if (message.type === 'run.completed') trace.push('published run.completed');
      if (subject.startsWith('lily.test.evt.') && !String(message.stream).startsWith('run/'))
        trace.push(`published ${message.stream}`);
      publish(subject, data, opts);
    };
    const sendNow = t.bus.sendNow.bind(t.bus);
    t.bus.sendNow = () => {
      trace.push('sendNow');
      sendNow();
    };
    const requested = t.engine.scheduler.requestRun({ jobId, trigger: { kind: 'manual' } });
    let runId: RunId | undefined;
    void requested.then((r) => {
      runId = r.runId;
    });
    for (let i = 0; i < 2_000 && !trace.includes('published run.completed'); i++) {
      await new Promise((r) => setTimeout(r, 2));
      if (held.pending() > 0) held.flushOne();
    }
    expect(runId).toBeDefined();
    const { done } = await waitCompleted(t.store, runId as RunId);
    expect(done.data).toMatchObject({ status: 'succeeded' });
    const at = (entry: string) => trace.indexOf(entry);
    const find = (prefix: string) => trace.findIndex((e) => e.startsWith(prefix));
    return { trace, at, find };
  };
  const LAUNCH = 'run run.requested,run.started,policy.requested,policy.decided,step.dispatched';
  const ANSWER = 'run step.started,step.succeeded,policy.requested,policy.decided,step.dispatched';

  it('dispatches of effect-free steps and those caused by worker answers go out at commit; run.completed waits for the flush', async () => {
    const { trace, at, find } = await traceOneRun('w3', { w3: W3 });
    // The launch: a (echo, no side effects) leaves once the run's first append is committed,
    // before it is flushed (decision 039).
    expect(find(`commit ${LAUNCH}`)).toBeGreaterThanOrEqual(0);
    expect(at('dispatch a')).toBeGreaterThan(find(`commit ${LAUNCH}`));
    expect(at('dispatch a')).toBeLessThan(find(`flushed ${LAUNCH}`));
    // a's answer: b is dispatched once that append is committed, before it is flushed (decision 033).
    const commitB = find(`commit ${ANSWER}`);
    expect(commitB).toBeGreaterThanOrEqual(0);
    expect(at('dispatch b')).toBeGreaterThan(commitB);
    expect(at('dispatch b')).toBeLessThan(find(`flushed ${ANSWER}`));
    // Handed to the connection right away, before the commit (decision 038): the append's `beforeCommit`.
    expect(trace[at('dispatch b') + 1]).toBe('sendNow');
    // The end is announced only once durable.
    expect(at('published run.completed')).toBeGreaterThan(
      find('flushed run step.started,step.succeeded,run.completed'),
    );
    // Tails see the run's events only: the job's index entry is not republished.
    expect(trace.filter((e) => e.startsWith('published job/'))).toEqual([]);
  });

  it('a launch dispatch of a step whose executor has side effects waits for the flush', async () => {
    const catalog = createBuiltinCatalog();
    const note: ExecutorFn = async ({ request }) => ({ output: { noted: request.stepId }, artifacts: [] });
    catalog.executors.set('note', {
      name: 'note',
      summary: 'note',
      sideEffects: 'write',
      owner: 'test',
      run: note,
    });
    const writes = W3.replace('id: w3', 'id: writes').replaceAll('executor: echo', 'executor: note');
    const { at, find } = await traceOneRun('writes', { writes }, catalog);
    expect(find(`flushed ${LAUNCH}`)).toBeGreaterThanOrEqual(0);
    expect(at('dispatch a')).toBeGreaterThan(find(`flushed ${LAUNCH}`));
    // Its answers' dispatches still go at commit: the worker's ledger keeps what the step did.
    expect(at('dispatch b')).toBeLessThan(find(`flushed ${ANSWER}`));
  });

  it('a launch whose commit fails after its early dispatch left is appended again, and its run completes', async () => {
    const inner = createInMemoryEventStore();
    let failed = 0;
    const store: EventStore = {
      ...inner,
      async append(stream, events, o: AppendOptions = {}) {
        if (failed === 0 && stream.startsWith('run/') && events.some((e) => e.type === 'run.requested')) {
          failed += 1;
          // Written into the transaction (the hooks run, the dispatch leaves), then refused at commit.
          const written = await createInMemoryEventStore().append(stream, events);
          o.onWritten?.(written);
          o.beforeCommit?.();
          throw new LilyError('eventstore_unavailable', 'append failed: ENOSPC', { what: 'append' });
        }
        return inner.append(stream, events, o);
      },
    };
    const t = await startTestEngine({ jobs: { w3: W3 }, store });
    engines.push(t);
    let dispatchesOfA = 0;
    const publish = t.bus.publishBytes.bind(t.bus);
    t.bus.publishBytes = (subject, data, opts) => {
      const message = JSON.parse(new TextDecoder().decode(data));
      if (subject.startsWith('lily.test.cmd.exec.') && message.items[0].data.stepId === 'a')
        dispatchesOfA += 1;
      publish(subject, data, opts);
    };
    const { runId } = await t.engine.scheduler.requestRun({ jobId: 'w3', trigger: { kind: 'manual' } });
    expect(failed).toBe(1);
    const { done, events } = await waitCompleted(t.store, runId);
    expect(done.data).toMatchObject({ status: 'succeeded' });
    expect(events.filter((e) => e.type === 'run.requested')).toHaveLength(1);
    // a left with the refused launch and again with the one that was appended (the same dispatch id).
    expect(dispatchesOfA).toBeGreaterThanOrEqual(2);
    const ids = events
      .filter((e) => e.type === 'step.dispatched')
      .map((e) => (e.data as { dispatchId: string }).dispatchId);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
