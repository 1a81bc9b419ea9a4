/**
 * `checkBlueprint` goes through the real compile boundary: it passes what the engine would run
 * and refuses, with the engine's own error, what the engine would refuse. The oracles here
 * (route cycles and their visit bounds, the transitive `needs` of a step) are computed
 * independently of src/blueprints/validate-plan.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { AnyBlueprint } from '../../src/blueprints/blueprint.js';
import { createBuiltinCatalog } from '../../src/blueprints/builtins/index.js';
import { definePack, installPack } from '../../src/blueprints/packs.js';
import { isLilyError, type LilyError } from '../../src/contracts/errors.js';
import { checkBlueprint } from '../../src/testing/index.js';

/** The LilyError a failed checkBlueprint carries as fast-check's `cause`, or undefined when it passed. */
const refusal = (check: () => void): LilyError | undefined => {
  try {
    check();
    return undefined;
  } catch (e) {
    const cause = (e as Error).cause;
    if (isLilyError(cause)) return cause;
    throw e;
  }
};

const blueprint = <B extends z.ZodType>(
  id: string,
  bindings: B,
  compile: (b: z.output<B>) => object,
): AnyBlueprint => ({
  id,
  version: '1.0.0',
  summary: id,
  bindings,
  input: z.object({}),
  output: z.object({}),
  compile: compile as AnyBlueprint['compile'],
});

const pipeline = blueprint(
  'test.pipeline',
  z.object({
    steps: z.number().int().min(1).max(5),
    retries: z.number().int().min(1).max(3),
    gate: z.boolean(),
  }),
  (b) => ({
    steps: Array.from({ length: b.steps }, (_, i) => ({
      id: `s${i}`,
      executor: 'echo',
      needs: i > 0 ? [`s${i - 1}`] : [],
      retry: { maxAttempts: b.retries },
      gates: b.gate ? [{ id: 'check', executor: 'echo' }] : [],
    })),
  }),
);

/** A chain s0 -> ... -> s(n-1); s[from] routes `failed` back to s[to]; s[bound] (if any) has maxVisits. */
const cycleBindings = z.object({
  n: z.number().int().min(1),
  from: z.number().int().min(0),
  to: z.number().int().min(0),
  bound: z.number().int().min(0).nullable(),
});
const cycling = blueprint('test.cycle', cycleBindings, (b) => ({
  steps: Array.from({ length: b.n }, (_, i) => ({
    id: `s${i}`,
    executor: 'echo',
    needs: i > 0 ? [`s${i - 1}`] : [],
    routes: i === b.from ? [{ on: 'failed', to: `s${b.to}` }] : [],
    ...(i === b.bound ? { maxVisits: 2 } : {}),
  })),
}));
const cycleArb = fc
  .integer({ min: 1, max: 5 })
  .chain((n) =>
    fc.record({
      n: fc.constant(n),
      from: fc.nat(n - 1),
      to: fc.nat(n - 1),
      bound: fc.option(fc.nat(n - 1), { nil: null }),
    }),
  )
  .filter((b) => b.to <= b.from);

/** Steps s0..s(n-1), each needing a subset of the earlier ones; s[reader] reads s[read]'s output. */
const readBindings = z.object({
  needs: z.array(z.array(z.number().int().min(0))),
  reader: z.number().int().min(0),
  read: z.number().int().min(0),
});
const reading = blueprint('test.reads', readBindings, (b) => ({
  steps: b.needs.map((needs, i) => ({
    id: `s${i}`,
    executor: 'echo',
    needs: needs.map((j) => `s${j}`),
    input: i === b.reader ? { upstream: { from: 'step', step: `s${b.read}` } } : {},
  })),
}));
const readArb = fc
  .integer({ min: 2, max: 6 })
  .chain((n) =>
    fc.record({
      needs: fc.tuple(
        ...Array.from({ length: n }, (_, i) =>
          i === 0 ? fc.constant([] as number[]) : fc.uniqueArray(fc.nat(i - 1), { maxLength: i }),
        ),
      ),
      reader: fc.nat(n - 1),
      read: fc.nat(n - 1),
    }),
  )
  .filter((b) => b.reader !== b.read);

/** The oracle: every step `step` transitively needs. */
const transitiveNeeds = (needs: readonly (readonly number[])[], step: number): Set<number> => {
  const seen = new Set<number>();
  const stack = [...(needs[step] ?? [])];
  while (stack.length > 0) {
    const j = stack.pop() as number;
    if (seen.has(j)) continue;
    seen.add(j);
    stack.push(...(needs[j] ?? []));
  }
  return seen;
};

describe('lily/testing checkBlueprint', () => {
  it('passes a well-formed blueprint over random bindings and outcomes', () => {
    const bindings = fc.record({
      steps: fc.integer({ min: 1, max: 5 }),
      retries: fc.integer({ min: 1, max: 3 }),
      gate: fc.boolean(),
    });
    checkBlueprint(pipeline, bindings, { numRuns: 60 });
  });

  it('refuses a route cycle exactly when no step on it declares maxVisits (unbounded_cycle)', () => {
    fc.assert(
      fc.property(cycleArb, (b) => {
        const err = refusal(() => checkBlueprint(cycling, fc.constant(b), { numRuns: 5 }));
        const bounded = b.bound !== null && b.bound >= b.to && b.bound <= b.from;
        if (bounded) expect(err).toBeUndefined();
        else expect(err?.data).toMatchObject({ reason: 'unbounded_cycle' });
      }),
      { numRuns: 60 },
    );
  });

  it('refuses a step reading a step that is not upstream of it (input_not_upstream)', () => {
    fc.assert(
      fc.property(readArb, (b) => {
        const err = refusal(() => checkBlueprint(reading, fc.constant(b), { numRuns: 3 }));
        if (transitiveNeeds(b.needs, b.reader).has(b.read)) expect(err).toBeUndefined();
        else
          expect(err?.data).toMatchObject({
            reason: 'input_not_upstream',
            step: `s${b.reader}`,
            ref: `s${b.read}`,
          });
      }),
      { numRuns: 80 },
    );
  });

  it('refuses bindings the blueprint rejects, with the zod issues', () => {
    const err = refusal(() => checkBlueprint(pipeline, fc.constant({ steps: 0, retries: 1, gate: false })));
    expect(err?.code).toBe('blueprint_bindings_invalid');
    expect(JSON.stringify(err?.data.issues)).toContain('steps');
  });

  it('refuses a compile that gives two plans for the same bindings', () => {
    let calls = 0;
    const drifting = blueprint('test.drift', z.object({}), () => ({
      steps: [{ id: 'a', executor: 'echo', with: { value: calls++ } }],
    }));
    const err = refusal(() => checkBlueprint(drifting, fc.constant({}), { numRuns: 1 }));
    expect(err).toMatchObject({
      code: 'blueprint_contract_invalid',
      data: { property: 'deterministic compile' },
    });
  });

  it("compiles against the built-ins by default, and against the caller's catalog when given", () => {
    const shouting = blueprint('test.shout', z.object({}), () => ({
      steps: [{ id: 'a', executor: 'shout', with: { text: 'hi' } }],
    }));
    expect(refusal(() => checkBlueprint(shouting, fc.constant({}), { numRuns: 1 }))?.data).toMatchObject({
      reason: 'unknown_executor',
      executor: 'shout',
    });
    const catalog = createBuiltinCatalog();
    const pack = definePack({
      name: 'shouts',
      version: '1.0.0',
      executors: [
        { name: 'shout', summary: 'upper-cases', sideEffects: 'none', with: z.object({ text: z.string() }) },
      ],
    });
    installPack(catalog, pack, 'shouts');
    expect(
      refusal(() => checkBlueprint(shouting, fc.constant({}), { numRuns: 20, catalog })),
    ).toBeUndefined();
    const wrongWith = blueprint('test.shout-bad', z.object({}), () => ({
      steps: [{ id: 'a', executor: 'shout', with: { text: 3 } }],
    }));
    expect(
      refusal(() => checkBlueprint(wrongWith, fc.constant({}), { numRuns: 1, catalog }))?.data,
    ).toMatchObject({
      reason: 'executor_config_invalid',
    });
  });
});
