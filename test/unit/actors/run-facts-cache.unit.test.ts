/**
 * The policy gate's run facts are bounded: primed (a co-located run host hands `run.started`
 * over) or read from the log, at most `maxRuns` are kept, and a run forgotten or dropped is read
 * again from the log.
 */
import { describe, expect, it } from 'vitest';
import { RunFactsCache } from '../../../src/actors/policy/run-facts.js';
import { compileBlueprint, createBuiltinCatalog, pipelineBlueprint } from '../../../src/blueprints/index.js';
import type { EventData } from '../../../src/contracts/events/catalog.js';
import { hashJson, type RunId, runStream } from '../../../src/contracts/index.js';
import { createInMemoryEventStore, createUlidGenerator } from '../../../src/eventstore/index.js';

const ids = createUlidGenerator();
const catalog = createBuiltinCatalog();
const bindings = { steps: [{ id: 'a', executor: 'echo', with: { value: 1 } }] };
const { plan, planHash } = compileBlueprint(catalog, pipelineBlueprint, bindings);

const started = (runId: RunId): EventData<'run.started'> =>
  ({
    runId,
    jobId: 'demo',
    blueprint: plan.blueprint,
    bindings,
    plan,
    planHash,
    input: {},
    inputHash: hashJson({}),
    dryRun: false,
    principal: 'operator',
    kernelVersion: '0.1.0',
    env: {},
  }) as unknown as EventData<'run.started'>;

describe('RunFactsCache', () => {
  it('keeps at most maxRuns, primed or read, and reads a dropped run from the log again', async () => {
    const store = createInMemoryEventStore();
    const cache = new RunFactsCache(store, 3);
    const runs = Array.from({ length: 6 }, () => ids.runId());
    for (const runId of runs) cache.prime(runId, started(runId));
    expect(cache.size).toBe(3);

    const [first] = runs as [RunId];
    await store.append(runStream(first), [
      {
        id: `${first}/started`,
        type: 'run.started',
        at: 1,
        data: started(first),
        meta: { producer: 'test' },
      },
    ]);
    expect((await cache.get(first))?.planHash).toBe(planHash);
    expect(cache.size).toBe(3);
    cache.forget(first);
    expect(cache.size).toBe(2);
    expect(await cache.get(ids.runId())).toBeUndefined();
  });
});
