import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileBlueprint, createBuiltinCatalog, pipelineBlueprint } from '../../src/blueprints/index.js';

const stepId = fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/);
const pipelineBindings = fc.uniqueArray(stepId, { minLength: 1, maxLength: 8 }).chain((ids) =>
  fc.record({
    steps: fc.tuple(
      ...ids.map((id, i) =>
        fc.record(
          {
            id: fc.constant(id),
            run: fc.array(fc.string(), { minLength: 1, maxLength: 3 }),
            retries: fc.integer({ min: 0, max: 5 }),
            timeout_ms: fc.integer({ min: 1, max: 100_000 }),
            needs: fc.subarray(ids.slice(0, i)),
          },
          { requiredKeys: ['id', 'run'] },
        ),
      ),
    ),
  }),
);

/** The same value with every object's keys inserted in reverse order. */
const reverseKeys = (v: unknown): unknown => {
  if (Array.isArray(v)) return v.map(reverseKeys);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(
    Object.entries(v)
      .reverse()
      .map(([k, x]) => [k, reverseKeys(x)]),
  );
};

describe('compile determinism', () => {
  it('the same bindings always give the same plan hash, whatever the key order', () => {
    const catalog = createBuiltinCatalog();
    fc.assert(
      fc.property(pipelineBindings, (bindings) => {
        const first = compileBlueprint(catalog, pipelineBlueprint, bindings);
        const second = compileBlueprint(createBuiltinCatalog(), pipelineBlueprint, reverseKeys(bindings));
        expect(second.planHash).toBe(first.planHash);
        expect(second.plan).toEqual(first.plan);
      }),
      { numRuns: 200 },
    );
  });
});
