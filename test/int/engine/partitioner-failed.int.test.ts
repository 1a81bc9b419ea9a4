/**
 * A partitioner that throws fails its step through the whole composed engine (scheduler, run
 * host, policy gate, worker): the worker's `step.failed` names the partition request, the run
 * follows the step's `failed` route and completes. Before machine version 3 the run ignored
 * that answer and hung until its timeout. Assertions are on the log only.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createBuiltinCatalog, defineBlueprint } from '../../../src/blueprints/index.js';
import type { StoredEvent } from '../../../src/contracts/index.js';
import { MACHINE_VERSION } from '../../../src/machines/machine-version.js';
import { startTestEngine, type TestEngine, waitCompleted } from '../../helpers/test-engine.js';

const engines: TestEngine[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.stop();
});

const fanOut = defineBlueprint({
  id: 'fan-out.v1',
  version: '1.0.0',
  summary: 'One partitioned step; a report step when it fails.',
  bindings: z.strictObject({ partitioner: z.string(), report: z.boolean() }),
  input: z.object({}),
  output: z.unknown(),
  compile: (b) => ({
    steps: [
      {
        id: 'fan',
        executor: 'echo',
        partition: { partitioner: b.partitioner, concurrency: 2, mode: 'collect' as const },
        ...(b.report ? { routes: [{ on: 'failed' as const, to: 'report' }] } : {}),
      },
      ...(b.report
        ? [
            {
              id: 'report',
              executor: 'echo',
              start: 'route' as const,
              with: { value: { reported: true } },
              routes: [{ on: 'succeeded' as const, to: '$end' }],
            },
          ]
        : []),
    ],
  }),
});

const job = (id: string, report: boolean) =>
  [
    `id: ${id}`,
    `title: ${id}`,
    'target: {kind: blueprint, id: fan-out.v1}',
    `bindings: {partitioner: broken, report: ${report}}`,
  ].join('\n');

const setup = async () => {
  const catalog = createBuiltinCatalog();
  catalog.blueprints.register(fanOut);
  catalog.partitioners.set('broken', {
    name: 'broken',
    summary: 'always throws',
    owner: 'test',
    run: async () => {
      throw new Error('cannot list the shards');
    },
  });
  const t = await startTestEngine({
    catalog,
    jobs: { bare: job('bare', false), routed: job('routed', true) },
  });
  engines.push(t);
  return t;
};

const of = (events: StoredEvent[], type: string) => events.filter((e) => e.type === type);

describe("a partitioner's failure, through the composed engine", () => {
  it('fails the step with the error and the run with it (no hang until the run timeout)', async () => {
    const t = await setup();
    const { runId } = await t.engine.scheduler.requestRun({ jobId: 'bare', trigger: { kind: 'manual' } });
    const { done, events } = await waitCompleted(t.store, runId);
    expect(of(events, 'run.started')[0]?.data).toMatchObject({ machine: MACHINE_VERSION });
    const [failed] = of(events, 'step.failed');
    expect(failed?.data).toMatchObject({
      stepId: 'fan',
      dispatchId: `${runId}/fan/1:partition`,
      error: { message: expect.stringContaining('cannot list the shards') },
    });
    expect(of(events, 'step.dispatched')).toEqual([]);
    expect(done.data).toMatchObject({ status: 'failed' });
  });

  it("follows the step's failed route, and the run completes from there", async () => {
    const t = await setup();
    const { runId } = await t.engine.scheduler.requestRun({ jobId: 'routed', trigger: { kind: 'manual' } });
    const { done, events } = await waitCompleted(t.store, runId);
    expect(of(events, 'step.succeeded').map((e) => (e.data as { stepId: string }).stepId)).toEqual([
      'report',
    ]);
    expect(done.data).toMatchObject({ status: 'succeeded' });
  });
});
