import { afterEach, describe, expect, it } from 'vitest';
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

  it('a dispatch caused by a worker answer goes out at commit; the launch and run.completed wait for the flush', async () => {
    const trace: string[] = [];
    const held = heldStore(trace);
    const t = await startTestEngine({ jobs: { w3: W3 }, store: held.store });
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
    const requested = t.engine.scheduler.requestRun({ jobId: 'w3', trigger: { kind: 'manual' } });
    let runId: RunId | undefined;
    void requested.then((r) => {
      runId = r.runId;
    });
    // Flush whatever is held, one append at a time, until the run is complete.
    for (let i = 0; i < 2_000 && !trace.includes('published run.completed'); i++) {
      await new Promise((r) => setTimeout(r, 2));
      if (held.pending() > 0) held.flushOne();
    }
    expect(runId).toBeDefined();
    const at = (entry: string) => trace.indexOf(entry);
    const find = (prefix: string) => trace.findIndex((e) => e.startsWith(prefix));
    // The launch: its dispatch of a only after the run's first append is flushed.
    expect(
      find('flushed run run.requested,run.started,policy.requested,policy.decided,step.dispatched'),
    ).toBeGreaterThanOrEqual(0);
    expect(at('dispatch a')).toBeGreaterThan(
      find('flushed run run.requested,run.started,policy.requested,policy.decided,step.dispatched'),
    );
    // a's answer: b is dispatched once that append is committed, before it is flushed.
    const commitB = find(
      'commit run step.started,step.succeeded,policy.requested,policy.decided,step.dispatched',
    );
    const flushB = find(
      'flushed run step.started,step.succeeded,policy.requested,policy.decided,step.dispatched',
    );
    expect(commitB).toBeGreaterThanOrEqual(0);
    expect(at('dispatch b')).toBeGreaterThan(commitB);
    expect(at('dispatch b')).toBeLessThan(flushB);
    // The end is announced only once durable.
    expect(at('published run.completed')).toBeGreaterThan(
      find('flushed run step.started,step.succeeded,run.completed'),
    );
    // Tails see the run's events only: the job's index entry is not republished.
    expect(trace.filter((e) => e.startsWith('published job/'))).toEqual([]);
    const { done } = await waitCompleted(t.store, runId as RunId);
    expect(done.data).toMatchObject({ status: 'succeeded' });
  });
});
