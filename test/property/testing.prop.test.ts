import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { AnyBlueprint } from '../../src/blueprints/blueprint.js';
import { checkBlueprint } from '../../src/testing/index.js';

const pipeline: AnyBlueprint = {
  id: 'test.pipeline',
  version: '1.0.0',
  summary: 'n sequential steps, optionally retried and gated',
  bindings: z.object({
    steps: z.number().int().min(1).max(5),
    retries: z.number().int().min(1).max(3),
    gate: z.boolean(),
  }),
  input: z.object({}),
  output: z.object({}),
  compile: (b: { steps: number; retries: number; gate: boolean }) => ({
    steps: Array.from({ length: b.steps }, (_, i) => ({
      id: `s${i}`,
      executor: 'echo',
      needs: i > 0 ? [`s${i - 1}`] : [],
      retry: { maxAttempts: b.retries },
      gates: b.gate ? [{ id: 'check' }] : [],
    })),
  }),
};

describe('lily/testing checkBlueprint', () => {
  it('passes for a well-formed blueprint over random bindings and outcomes', () => {
    checkBlueprint(
      pipeline,
      fc.record({
        steps: fc.integer({ min: 1, max: 5 }),
        retries: fc.integer({ min: 1, max: 3 }),
        gate: fc.boolean(),
      }),
      {
        numRuns: 60,
      },
    );
  });

  it('reports a blueprint whose compile is not a valid plan', () => {
    const bad: AnyBlueprint = { ...pipeline, compile: () => ({ steps: [] }) };
    expect(() =>
      checkBlueprint(bad, fc.constant({ steps: 1, retries: 1, gate: false }), { numRuns: 1 }),
    ).toThrow();
  });
});
