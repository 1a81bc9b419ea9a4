import { afterEach, describe, expect, it } from 'vitest';
import { runStream } from '../../../src/contracts/index.js';
import {
  startPipelineRun,
  startTestEngine,
  type TestEngine,
  waitCompleted,
} from '../../helpers/test-engine.js';

const engines: TestEngine[] = [];
afterEach(async () => {
  for (const e of engines.splice(0).reverse()) await e.stop();
});

/** An engine composed with in-memory adapters (composeEngine), its in-process worker on its own bus connection. */
const setup = async () => {
  const t = await startTestEngine();
  engines.push(t);
  return t;
};

const startRun = (t: TestEngine, bindings: unknown, input?: Record<string, unknown>) =>
  startPipelineRun(t, bindings, input);

describe('run host + policy gate + worker, composed (in-memory bus, store and ledger)', () => {
  it('runs a 3-step pipeline to completion, outputs flowing from step to step', async () => {
    const ctx = await setup();
    const runId = await startRun(ctx, {
      steps: [
        { id: 'a', executor: 'echo', with: { value: { n: 1 } } },
        { id: 'b', executor: 'echo', input: { prev: { from: 'step', step: 'a', path: 'n' } } },
        { id: 'c', run: ['node', '-e', 'process.stdout.write(process.env.LILY_INPUT)'] },
      ],
    });
    const { done, events } = await waitCompleted(ctx.store, runId);
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
    const ctx = await setup();
    const runId = await startRun(ctx, { steps: [{ id: 'boom', run: ['node', '-e', 'process.exit(7)'] }] });
    const { done, events } = await waitCompleted(ctx.store, runId);
    expect(done.data).toMatchObject({ status: 'failed' });
    expect(events.filter((e) => e.type === 'step.failed')).toHaveLength(1);
    expect(done.data).toMatchObject({ error: { code: 'job_execution_failed' } });
  });

  it('drops a re-sent reply instead of appending it twice', async () => {
    const ctx = await setup();
    const runId = await startRun(ctx, { steps: [{ id: 'a', executor: 'echo', with: { value: 1 } }] });
    const { events } = await waitCompleted(ctx.store, runId);
    const reply = events.find((e) => e.type === 'step.succeeded');
    await ctx.engine.host.deliver(runId, [
      { id: reply?.id as string, type: 'step.succeeded', at: 0, data: reply?.data, producer: 'test' },
    ]);
    expect(await ctx.store.readStream(runStream(runId))).toHaveLength(events.length);
  });

  it('an engine composed again over the same log resumes the run, and its worker finishes it', async () => {
    const first = await startTestEngine({ noWorker: true });
    const runId = await startRun(first, { steps: [{ id: 'a', executor: 'echo', with: { value: 1 } }] });
    for (let i = 0; i < 500; i++) {
      const events = await first.store.readStream(runStream(runId));
      if (events.some((e) => e.type === 'step.dispatched')) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    await first.stop();
    const second = await startTestEngine({ store: first.store });
    engines.push(second);
    const { done, events } = await waitCompleted(second.store, runId);
    expect(done.data).toMatchObject({ status: 'succeeded' });
    expect(events.filter((e) => e.type === 'step.dispatched')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'step.succeeded')).toHaveLength(1);
  });
});
