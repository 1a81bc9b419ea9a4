/** What LilyClient reads for the web console: run search, run graph, rerun preview, schedules, refusals. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createBuiltinCatalog } from '../../../src/blueprints/builtins/index.js';
import { jobSpecSchema } from '../../../src/blueprints/jobs/spec.js';
import { readRefusals } from '../../../src/client/deployment/refusals.js';
import { nextFireTimes } from '../../../src/client/jobs/schedule.js';
import { runGraph } from '../../../src/client/runs/graph.js';
import { previewFork } from '../../../src/client/runs/rerun-preview.js';
import { RunSearchIndex } from '../../../src/client/runs/search.js';
import { hasErrorCode } from '../../../src/contracts/errors.js';
import type { StoredEvent } from '../../../src/contracts/events/envelope.js';
import type { EventStore } from '../../../src/eventstore/event-store.js';
import { createInMemoryEventStore } from '../../../src/eventstore/in-memory-event-store.js';
import { runLog } from '../ui/fixtures.js';

const NAMES = ['hello', 'flaky', 'gated', 'slow', 'timeout'] as const;
const runIdOf = (events: StoredEvent[]) => (events[0]?.stream ?? '').slice(4);

const storeWith = async (logs: StoredEvent[][]): Promise<EventStore> => {
  const store = createInMemoryEventStore();
  for (const events of logs) {
    await store.append(
      events[0]?.stream as string,
      events.map(({ id, type, at, data, meta }) => ({ id, type, at, data, meta })),
    );
  }
  return store;
};

/** Counts the streams read in full, to see what the index folds again. */
const counting = (store: EventStore) => {
  const reads: string[] = [];
  const wrapped = new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'readStream') {
        return (stream: string, o?: unknown) => {
          reads.push(stream);
          return target.readStream(stream, o as never);
        };
      }
      return Reflect.get(target, prop, receiver);
    },
  });
  return { store: wrapped, reads };
};

describe('runs.search: the rows of the console runs list', () => {
  it('filters by job, status, trigger, request time and run id prefix; newest first', async () => {
    const logs = NAMES.map(runLog);
    const index = new RunSearchIndex();
    const store = await storeWith(logs);
    const all = await index.search(store, {});
    expect(all.total).toBe(5);
    expect(all.runs.map((r) => r.jobId)).toEqual(['timeout', 'slow', 'gated', 'flaky', 'hello']);
    expect((await index.search(store, { status: 'failed' })).runs.map((r) => r.jobId)).toEqual([
      'timeout',
      'flaky',
    ]);
    expect((await index.search(store, { jobId: 'gated' })).runs).toHaveLength(1);
    expect((await index.search(store, { trigger: 'manual' })).total).toBe(5);
    expect((await index.search(store, { trigger: 'cron' })).total).toBe(0);
    const flaky = runIdOf(logs[1] as StoredEvent[]);
    expect(
      (await index.search(store, { runId: flaky.slice(0, 11).toLowerCase() })).runs.map((r) => r.runId),
    ).toEqual([flaky]);
    const gatedAt = (logs[2] as StoredEvent[])[0]?.at as number;
    expect((await index.search(store, { from: gatedAt })).runs.map((r) => r.jobId)).toEqual([
      'timeout',
      'slow',
      'gated',
    ]);
    expect((await index.search(store, { to: gatedAt - 1 })).runs.map((r) => r.jobId)).toEqual([
      'flaky',
      'hello',
    ]);
    expect((await index.search(store, { limit: 2 })).runs.map((r) => r.jobId)).toEqual(['timeout', 'slow']);
    const row = all.runs.find((r) => r.jobId === 'flaky');
    expect(row).toMatchObject({
      status: 'failed',
      trigger: 'manual',
      parentRunId: null,
      error: { code: 'job_execution_failed' },
      steps: { ok: 1, total: 2 },
      waiting: { approvals: 0, indeterminate: 0 },
    });
  });

  it('folds a run again only when its stream grew: a waiting run becomes a finished one', async () => {
    const gated = runLog('gated');
    const cut = gated.findIndex((e) => e.type === 'approval.requested') + 1;
    const store = await storeWith([runLog('hello'), gated.slice(0, cut)]);
    const { store: watched, reads } = counting(store);
    const index = new RunSearchIndex();
    const before = await index.search(watched, { jobId: 'gated' });
    expect(before.runs[0]).toMatchObject({ status: 'running', waiting: { approvals: 1, indeterminate: 0 } });
    expect(reads).toHaveLength(2);
    await index.search(watched, {});
    expect(reads).toHaveLength(2); // nothing changed: nothing read
    await store.append(
      gated[0]?.stream as string,
      gated.slice(cut).map(({ id, type, at, data, meta }) => ({ id, type, at, data, meta })),
    );
    const after = await index.search(watched, { jobId: 'gated' });
    expect(reads).toHaveLength(3);
    expect(after.runs[0]).toMatchObject({ status: 'succeeded', waiting: { approvals: 0, indeterminate: 0 } });
  });
});

describe('a run graph and a rerun preview, from the pinned plan and the log', () => {
  const catalog = createBuiltinCatalog();

  it('gives each step its machine state and its region (states, edges)', () => {
    const graph = runGraph(catalog, runLog('flaky'));
    expect(graph?.status).toBe('failed');
    expect(graph?.steps.map((s) => [s.id, s.state, s.attempt, s.needs])).toEqual([
      ['prepare', 'succeeded', 1, []],
      ['flake', 'failed', 3, ['prepare']],
    ]);
    const flake = graph?.steps[1];
    expect(flake?.states).toContain('retry_wait');
    expect(flake?.edges).toContainEqual({ from: 'retry_wait', to: 'dispatched', label: 'timer.fired' });
    const gated = runGraph(catalog, runLog('gated'));
    expect(gated?.steps[0]?.gates).toEqual([{ id: 'lint', required: true }]);
    expect(gated?.steps[0]?.gateStates).toEqual({ lint: 'passed' });
    expect(runGraph(catalog, runLog('gated').slice(0, 1))).toBeNull(); // only requested: no plan pinned
    const cancelled = runGraph(catalog, runLog('slow'));
    expect(cancelled?.steps[0]?.state).toBe('cancelled');
  });

  it('a fork from a step reuses what came before it, as the scheduler will', () => {
    const events = runLog('flaky');
    const p = previewFork(catalog, runIdOf(events), events, { fromStep: 'flake' });
    expect(p).toMatchObject({
      kind: 'fork',
      fromStep: 'flake',
      memoized: ['prepare'],
      rerun: ['flake'],
      input: {},
    });
    expect(p.planHash).toBe(p.parentPlanHash);
    expect(previewFork(catalog, runIdOf(events), events, { fromStep: 'prepare' }).memoized).toEqual([]);
    let thrown: unknown;
    try {
      previewFork(catalog, runIdOf(events), events, { fromStep: 'nope' });
    } catch (e) {
      thrown = e;
    }
    expect(hasErrorCode(thrown, 'usage_invalid')).toBe(true);
  });
});

describe('jobs.schedule: next cron fire times', () => {
  const trigger = (cron: string, timezone = 'UTC') =>
    jobSpecSchema.parse({
      id: 'j',
      title: 't',
      target: { kind: 'blueprint', id: 'pipeline.v1' },
      bindings: {},
      trigger: { cron, timezone },
    }).trigger;

  it('lists the next fires after now, in the trigger time zone; none for a manual job', () => {
    const now = Date.UTC(2026, 0, 1, 1, 30);
    expect(nextFireTimes(trigger('0 */6 * * *'), now, 3)).toEqual([
      Date.UTC(2026, 0, 1, 6),
      Date.UTC(2026, 0, 1, 12),
      Date.UTC(2026, 0, 1, 18),
    ]);
    // 09:00 in Paris is 08:00 UTC in winter.
    expect(nextFireTimes(trigger('0 9 * * *', 'Europe/Paris'), now, 1)).toEqual([Date.UTC(2026, 0, 1, 8)]);
    expect(nextFireTimes({ manual: true }, now, 3)).toEqual([]);
  });
});

describe('deployment.refusals: refused messages from the logs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lily-refusals-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('counts the warn-level refusal entries of every log, newest first, and keeps the reason', async () => {
    const engine = join(dir, 'engine.log');
    const worker = join(dir, 'worker-1.log');
    const line = (o: Record<string, unknown>) => JSON.stringify(o);
    writeFileSync(
      engine,
      [
        line({
          level: 40,
          time: 10,
          event: 'message.rejected',
          reason: 'run id invalid',
          runId: 'x',
          msg: 'm',
        }),
        line({
          level: 40,
          time: 30,
          event: 'run.request_refused',
          error: { message: 'no job nope' },
          msg: 'request refused',
        }),
        line({ level: 40, time: 40, event: 'approval.requested', msg: 'not a refusal' }),
        line({ level: 30, time: 50, event: 'message.rejected', reason: 'info level is not a refusal' }),
        '{"truncated',
      ].join('\n'),
    );
    writeFileSync(
      worker,
      `${line({ level: 40, time: 20, event: 'dispatch.refused', reason: 'bad grant', subject: 's' })}\n`,
    );
    const found = await readRefusals(
      [
        { process: 'engine', file: engine },
        { process: 'worker-1', file: worker },
        { process: 'gone', file: join(dir, 'missing.log') },
      ],
      2,
    );
    expect(found.total).toBe(3);
    expect(found.refusals).toEqual([
      {
        process: 'engine',
        at: 30,
        event: 'run.request_refused',
        reason: 'no job nope',
        runId: null,
        subject: null,
      },
      {
        process: 'worker-1',
        at: 20,
        event: 'dispatch.refused',
        reason: 'bad grant',
        runId: null,
        subject: 's',
      },
    ]);
  });
});
