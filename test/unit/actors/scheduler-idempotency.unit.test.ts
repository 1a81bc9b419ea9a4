import { describe, expect, it } from 'vitest';
import { runRequestReplySchema } from '../../../src/actors/messages.js';
import { schedSubject } from '../../../src/actors/subjects.js';
import { harness, job, NS, settle } from './scheduler-harness.js';

const request = async (h: Awaited<ReturnType<typeof harness>>, payload: Record<string, unknown>) =>
  h.bus.requestTyped(schedSubject(NS), { type: 'run.request', ...payload }, runRequestReplySchema, {
    timeoutMs: 2_000,
  });

const runsOf = async (h: Awaited<ReturnType<typeof harness>>, jobId: string) =>
  (await h.store.readStream(`job/${jobId}`)).filter((e) => e.type === 'run.requested');

describe('Scheduler: idempotent run requests', () => {
  it('a repeat of a key returns the first run and starts nothing; the key is in the log', async () => {
    const h = await harness({ hello: job('hello') });
    const first = await request(h, { jobId: 'hello', input: { loud: true }, idempotencyKey: 'k-1' });
    const again = await request(h, { jobId: 'hello', input: { loud: true }, idempotencyKey: 'k-1' });
    await settle(h);
    expect(first).toMatchObject({ ok: true });
    if (!first.ok || !again.ok) throw new Error('refused');
    expect(again).toMatchObject({ ok: true, runId: first.runId, existing: true });
    expect(first.existing).toBeUndefined();
    const index = await runsOf(h, 'hello');
    expect(index.map((e) => e.id)).toEqual(['request/k-1']);
    expect(index[0]?.data).toMatchObject({ runId: first.runId, idempotencyKey: 'k-1' });
    const run = await h.store.readStream(`run/${first.runId}`);
    expect(run[0]?.data).toMatchObject({ idempotencyKey: 'k-1', requestHash: expect.any(String) });
    expect(h.facts('run.started')).toHaveLength(1);
  });

  it('the same key across a restart, and repeats racing each other, still make one run', async () => {
    const h = await harness({ hello: job('hello') });
    const racing = await Promise.all(
      [1, 2, 3, 4].map(() => request(h, { jobId: 'hello', idempotencyKey: 'race' })),
    );
    const ids = new Set(racing.map((r) => (r.ok ? r.runId : r.error.code)));
    expect(ids.size).toBe(1);
    await h.restart();
    const after = await request(h, { jobId: 'hello', idempotencyKey: 'race' });
    expect(after).toMatchObject({ ok: true, runId: [...ids][0], existing: true });
    expect(await runsOf(h, 'hello')).toHaveLength(1);
    const runStreams = (await h.store.listStreams('run/')).length;
    expect(runStreams).toBe(1);
  });

  it('a repeat finds its run even when the job can no longer be prepared (its file changed)', async () => {
    const h = await harness({ hello: job('hello') });
    const first = await request(h, { jobId: 'hello', idempotencyKey: 'k-2' });
    h.texts.hello = 'id: hello\ntitle: broken now\ntarget: {kind: blueprint, id: nope.v1}\n';
    const again = await request(h, { jobId: 'hello', idempotencyKey: 'k-2' });
    expect(first.ok && again.ok && again.runId === first.runId).toBe(true);
  });

  it('a key reused for a different request is refused (idempotency_key_reused), naming the first run', async () => {
    const h = await harness({ hello: job('hello') });
    const first = await request(h, { jobId: 'hello', idempotencyKey: 'k-3' });
    const other = await request(h, { jobId: 'hello', input: { loud: true }, idempotencyKey: 'k-3' });
    expect(other).toMatchObject({
      ok: false,
      error: { code: 'idempotency_key_reused', data: { key: 'k-3', runId: first.ok ? first.runId : '' } },
    });
    expect(await runsOf(h, 'hello')).toHaveLength(1);
  });

  it('keys are per job; requests without a key each start a run', async () => {
    const h = await harness({ hello: job('hello'), other: job('other') });
    const a = await request(h, { jobId: 'hello', idempotencyKey: 'shared' });
    const b = await request(h, { jobId: 'other', idempotencyKey: 'shared' });
    expect(a.ok && b.ok && a.runId !== b.runId).toBe(true);
    await request(h, { jobId: 'hello' });
    await request(h, { jobId: 'hello' });
    expect(await runsOf(h, 'hello')).toHaveLength(3);
  });
});
