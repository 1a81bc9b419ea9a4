import { describe, expect, it } from 'vitest';
import { harness, job, settle, T0 } from './scheduler-harness.js';

/** A parent run: requested by the scheduler, started as the run host would. */
const parentRun = async (h: Awaited<ReturnType<typeof harness>>) => {
  const { runId } = await h.scheduler.requestRun({
    jobId: 'hello',
    input: { name: 'p' },
    trigger: { kind: 'manual' },
  });
  await settle(h);
  const started = h.facts('run.started').find((f) => f.runId === runId);
  await h.store.append(`run/${runId}`, [
    { id: `${runId}/started`, type: 'run.started', at: T0, data: started?.data, meta: { producer: 't' } },
  ]);
  h.scheduler.runFinished(runId);
  return runId;
};

describe('Scheduler: re-runs', () => {
  it('a plain re-run keeps the parent input and records its parent', async () => {
    const h = await harness({ hello: job('hello', 'runtime: {concurrency: 5}') });
    const parent = await parentRun(h);
    const { runId } = await h.scheduler.requestRun({
      jobId: 'hello',
      trigger: { kind: 'rerun' },
      rerun: { parentRunId: parent },
    });
    await settle(h);
    const started = h.facts('run.started').find((f) => f.runId === runId);
    expect(started?.data).toMatchObject({
      input: { name: 'p', loud: false },
      parent: { runId: parent, gatesOnly: false },
    });
    const requested = (await h.store.readStream(`run/${runId}`))[0]?.data;
    expect(requested).toMatchObject({ trigger: { kind: 'rerun', parentRunId: parent } });
  });

  it('a fork pins the parent plan, carries parent and memo, and records run.forked', async () => {
    const h = await harness({ hello: job('hello', 'runtime: {concurrency: 5}') });
    const parent = await parentRun(h);
    const parentStarted = h.facts('run.started').find((f) => f.runId === parent);
    const { runId } = await h.scheduler.requestRun({
      jobId: 'hello',
      trigger: { kind: 'rerun' },
      rerun: { parentRunId: parent, fromStep: 'say' },
    });
    await settle(h);
    const started = h.facts('run.started').find((f) => f.runId === runId);
    expect(started?.data).toMatchObject({
      planHash: parentStarted?.data.planHash,
      input: { name: 'p', loud: false },
      parent: { runId: parent, fromStep: 'say', gatesOnly: false },
      memo: {},
    });
    const events = await h.store.readStream(`run/${runId}`);
    expect(events.map((e) => e.type)).toEqual(['run.requested', 'run.forked']);
    expect(events[1]?.data).toMatchObject({ parentRunId: parent, fromStep: 'say', memoized: [] });
  });

  it('refuses a fork from an unknown step, a fork with input, and a parent of another job', async () => {
    const h = await harness({ hello: job('hello', 'runtime: {concurrency: 5}'), other: job('other') });
    const parent = await parentRun(h);
    const before = await h.store.lastPosition();
    const attempt = (req: Record<string, unknown>) =>
      h.scheduler.requestRun({ jobId: 'hello', trigger: { kind: 'rerun' }, ...req } as never);
    await expect(attempt({ rerun: { parentRunId: parent, fromStep: 'nope' } })).rejects.toMatchObject({
      code: 'usage_invalid',
    });
    await expect(
      attempt({ input: { name: 'x' }, rerun: { parentRunId: parent, gatesOnly: true } }),
    ).rejects.toMatchObject({
      code: 'usage_invalid',
    });
    await expect(
      h.scheduler.requestRun({ jobId: 'other', trigger: { kind: 'rerun' }, rerun: { parentRunId: parent } }),
    ).rejects.toMatchObject({ code: 'usage_invalid' });
    expect(await h.store.lastPosition()).toBe(before);
  });
});
