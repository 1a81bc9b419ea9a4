import { describe, expect, it } from 'vitest';
import { runRequestReplySchema } from '../../../src/actors/messages.js';
import { schedSubject } from '../../../src/actors/subjects.js';
import { hashJson } from '../../../src/contracts/canonical-json.js';
import type { RunId } from '../../../src/contracts/ids.js';
import { harness, job, NS, settle, T0 } from './scheduler-harness.js';

const request = async (h: Awaited<ReturnType<typeof harness>>, payload: Record<string, unknown>) =>
  h.bus.requestTyped(schedSubject(NS), { type: 'run.request', ...payload }, runRequestReplySchema, {
    timeoutMs: 2_000,
  });

describe('Scheduler: run requests', () => {
  it('records run.requested in the run and job streams and hands run.started to the run host', async () => {
    const h = await harness({ hello: job('hello') });
    const reply = await request(h, { jobId: 'hello', input: { loud: true } });
    expect(reply).toMatchObject({ ok: true, jobId: 'hello' });
    if (!reply.ok) return;
    await settle(h);
    const run = await h.store.readStream(`run/${reply.runId}`);
    expect(run.map((e) => [e.id, e.type])).toEqual([[`${reply.runId}/requested`, 'run.requested']]);
    expect(run[0]?.data).toMatchObject({
      runId: reply.runId,
      jobId: 'hello',
      trigger: { kind: 'manual' },
      input: { name: 'world', loud: true },
      dryRun: false,
      principal: 'operator',
    });
    const index = await h.store.readStream('job/hello');
    expect(index.map((e) => e.id)).toEqual([`${reply.runId}/requested`]);
    const [started] = h.facts('run.started');
    expect(started?.id).toBe(`${reply.runId}/started`);
    expect(started?.data).toMatchObject({
      runId: reply.runId,
      jobId: 'hello',
      blueprint: { id: 'greet.v1', version: '1.0.0' },
      input: { name: 'world', loud: true },
      inputHash: hashJson({ name: 'world', loud: true }),
      kernelVersion: '0.1.0-test',
      env: { node: 'test' },
      principal: 'operator',
    });
    expect(started?.data.planHash).toBe(hashJson(started?.data.plan));
  });

  it('uses the job runtime dry_run default and the request overrides', async () => {
    const h = await harness({ hello: job('hello', 'runtime: {dry_run: true}') });
    await h.scheduler.requestRun({ jobId: 'hello', trigger: { kind: 'manual' } });
    await h.scheduler.requestRun({
      jobId: 'hello',
      dryRun: false,
      principal: 'alice',
      trigger: { kind: 'api' },
    });
    await settle(h);
    // concurrency 1: the second is queued, so only one run.started so far.
    expect(h.facts('run.started').map((f) => f.data.dryRun)).toEqual([true]);
    const index = await h.store.readStream('job/hello');
    expect(index.map((e) => (e.data as { dryRun: boolean; principal: string }).principal)).toEqual([
      'operator',
      'alice',
    ]);
  });

  const refusals: [string, Record<string, string>, Record<string, unknown>][] = [
    ['job_not_found', { hello: job('hello') }, { jobId: 'nope' }],
    ['job_not_found', { hello: job('hello') }, { jobId: '../etc' }],
    ['job_invalid_spec', { bad: 'id: bad\ntitle: [unclosed' }, { jobId: 'bad' }],
    [
      'job_target_unresolved',
      { x: 'id: x\ntitle: x\ntarget: {kind: blueprint, id: missing.v9}' },
      { jobId: 'x' },
    ],
    [
      'job_bindings_invalid',
      { c: 'id: c\ntitle: c\ntarget: {kind: blueprint, id: command.v1}' },
      { jobId: 'c' },
    ],
    ['job_input_invalid', { hello: job('hello') }, { jobId: 'hello', input: { name: 42 } }],
    ['job_input_invalid', { hello: job('hello') }, { jobId: 'hello', input: { extra: 1 } }],
    [
      'blueprint_compile_failed',
      { b: 'id: b\ntitle: b\ntarget: {kind: blueprint, id: broken.v1}' },
      { jobId: 'b' },
    ],
    [
      'run_not_found',
      { hello: job('hello') },
      { jobId: 'hello', rerun: { parentRunId: '01ARZ3NDEKTSV4RRFFQ69G5FAV' } },
    ],
  ];
  it.each(refusals)('refuses %s and writes nothing', async (code, texts, payload) => {
    const h = await harness(texts);
    const reply = await request(h, payload);
    expect(reply).toMatchObject({ ok: false, error: { code } });
    await settle(h);
    expect(await h.store.lastPosition()).toBe(0);
    expect(h.inbox).toEqual([]);
    expect(h.log.entries.some((e) => e.event === 'run.request_refused' && e.level === 'warn')).toBe(true);
  });

  it('reports the issues of an invalid input', async () => {
    const h = await harness({ hello: job('hello') });
    const reply = await request(h, { jobId: 'hello', input: { name: 42 } });
    expect(reply.ok).toBe(false);
    if (reply.ok) return;
    expect(reply.error.data).toMatchObject({ job: 'hello', blueprint: 'greet.v1@1.0.0' });
    expect(reply.error.data.issues).toEqual([expect.objectContaining({ path: 'name' })]);
  });
});

describe('Scheduler: concurrency', () => {
  it('queues runs beyond runtime.concurrency and starts them as runs complete (FIFO)', async () => {
    const h = await harness({ hello: job('hello', 'runtime: {concurrency: 2}') });
    const ids: RunId[] = [];
    for (let i = 0; i < 4; i++)
      ids.push((await h.scheduler.requestRun({ jobId: 'hello', trigger: { kind: 'manual' } })).runId);
    await settle(h);
    expect(h.facts('run.started').map((f) => f.runId)).toEqual(ids.slice(0, 2));
    expect(h.scheduler.stats()).toMatchObject({ active: 2, queued: 2 });
    await h.complete('hello', ids[1] as string);
    expect(h.facts('run.started').map((f) => f.runId)).toEqual(ids.slice(0, 3));
    h.scheduler.runFinished(ids[0] as RunId);
    await settle(h);
    expect(h.facts('run.started').map((f) => f.runId)).toEqual(ids);
    // Idempotent: a second notice of the same completion frees nothing more.
    await h.complete('hello', ids[1] as string);
    expect(h.scheduler.stats()).toMatchObject({ active: 2, queued: 0 });
  });

  it('rebuilds active and queued runs after a restart and starts the queue when capacity frees', async () => {
    const h = await harness({ hello: job('hello') });
    const a = await h.scheduler.requestRun({ jobId: 'hello', trigger: { kind: 'manual' } });
    const b = await h.scheduler.requestRun({
      jobId: 'hello',
      input: { name: 'b' },
      trigger: { kind: 'manual' },
    });
    await settle(h);
    // The run host appends run.started of a (as it does when it receives it).
    const started = h.facts('run.started')[0];
    await h.store.append(`run/${a.runId}`, [
      {
        id: `${a.runId}/started`,
        type: 'run.started',
        at: T0,
        data: started?.data,
        meta: { producer: 'test' },
      },
    ]);
    h.inbox.length = 0;
    const s2 = await h.restart();
    expect(s2.stats()).toMatchObject({ active: 1, queued: 1 });
    expect(h.facts('run.started')).toEqual([]);
    await h.complete('hello', a.runId);
    expect(h.facts('run.started').map((f) => [f.runId, f.data.input])).toEqual([
      [b.runId, { name: 'b', loud: false }],
    ]);
  });
});

describe('Scheduler: cancel', () => {
  it('closes a queued run at once and delivers run.cancel_requested to a started one', async () => {
    const h = await harness({ hello: job('hello') });
    const a = await h.scheduler.requestRun({ jobId: 'hello', trigger: { kind: 'manual' } });
    const b = await h.scheduler.requestRun({ jobId: 'hello', trigger: { kind: 'manual' } });
    await settle(h);
    await h.bus.request(
      schedSubject(NS),
      { type: 'run.cancel', runId: b.runId, by: 'alice' },
      { timeoutMs: 1000 },
    );
    await settle(h);
    const bEvents = await h.store.readStream(`run/${b.runId}`);
    expect(bEvents.map((e) => e.type)).toEqual(['run.requested', 'run.completed']);
    expect(bEvents[1]?.data).toMatchObject({ status: 'cancelled' });
    expect(h.scheduler.stats()).toMatchObject({ queued: 0 });

    // a is active per the scheduler; the host has its run.started in the log.
    await h.store.append(`run/${a.runId}`, [
      {
        id: `${a.runId}/started`,
        type: 'run.started',
        at: T0,
        data: h.facts('run.started')[0]?.data,
        meta: { producer: 't' },
      },
    ]);
    const reply = await h.bus.requestTyped(
      schedSubject(NS),
      { type: 'run.cancel', runId: a.runId, by: 'alice', reason: 'enough' },
      runRequestReplySchema,
      { timeoutMs: 1000 },
    );
    expect(reply).toEqual({ ok: true, runId: a.runId, jobId: 'hello' });
    await settle(h);
    expect(h.facts('run.cancel_requested')).toEqual([
      { runId: a.runId, id: `${a.runId}/cancel_requested`, data: { by: 'alice', reason: 'enough' } },
    ]);
    const missing = await h.bus.requestTyped(
      schedSubject(NS),
      { type: 'run.cancel', runId: '01ARZ3NDEKTSV4RRFFQ69G5FAV', by: 'alice' },
      runRequestReplySchema,
      { timeoutMs: 1000 },
    );
    expect(missing).toMatchObject({ ok: false, error: { code: 'run_not_found' } });
  });
});

describe('Scheduler: timers', () => {
  const RUN = '01ARZ3NDEKTSV4RRFFQ69G5FAV';
  // The run host hands timers to its scheduler in-process (never on the bus).
  const schedule = (h: Awaited<ReturnType<typeof harness>>, timerId: string, fireAt: number) =>
    h.scheduler.scheduleTimer(RUN as RunId, { timerId, fireAt, purpose: 'retry', stepId: 's', attempt: 1 });

  it('fires at fireAt, once per timer id, and a cancel disarms', async () => {
    const h = await harness({});
    schedule(h, 'a', T0 + 1_000);
    schedule(h, 'a', T0 + 1_000); // re-sent after a host restart: deduped
    schedule(h, 'b', T0 + 2_000);
    await settle(h);
    expect(h.scheduler.stats().timers).toBe(2);
    h.scheduler.cancelTimer('b');
    await settle(h);
    await h.advance(999);
    expect(h.facts('timer.fired')).toEqual([]);
    await h.advance(5_000);
    expect(h.facts('timer.fired')).toEqual([
      { runId: RUN, id: 'timer/a/fired', data: { timerId: 'a', firedAt: T0 + 1_000 } },
    ]);
    expect(h.scheduler.stats().timers).toBe(0);
  });

  it('fires a timer whose time has passed at once', async () => {
    const h = await harness({});
    h.clock.set(T0 + 10_000);
    schedule(h, 'late', T0);
    await settle(h);
    await h.advance(0);
    expect(h.facts('timer.fired')).toEqual([
      { runId: RUN, id: 'timer/late/fired', data: { timerId: 'late', firedAt: T0 + 10_000 } },
    ]);
  });
});
