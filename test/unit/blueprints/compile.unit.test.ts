import { describe, expect, it } from 'vitest';
import { compileBlueprint } from '../../../src/blueprints/index.js';
import { hasErrorCode, type LilyError } from '../../../src/contracts/index.js';
import { catalogWithRaw, echo, rawPlanBlueprint } from './fixtures.js';

const compileRaw = (plan: unknown) => compileBlueprint(catalogWithRaw(), rawPlanBlueprint, { plan });
const failure = (plan: unknown): LilyError => {
  try {
    compileRaw(plan);
  } catch (e) {
    if (hasErrorCode(e, 'blueprint_compile_failed')) return e;
    throw e;
  }
  throw new Error('expected blueprint_compile_failed');
};

describe('compileBlueprint: plan validation', () => {
  it('fills defaults, pins the blueprint and hashes the canonical plan', () => {
    const { plan, planHash } = compileRaw({ steps: [echo('a'), echo('b', { needs: ['a'] })] });
    expect(plan.blueprint).toEqual({ id: 'test.raw', version: '1.0.0' });
    expect(plan.steps[1]?.retry).toEqual({
      maxAttempts: 1,
      backoff: { initialMs: 200, factor: 2, maxMs: 30000, jitter: 0 },
    });
    expect(planHash).toMatch(/^[0-9a-f]{64}$/);
    expect(compileRaw({ steps: [echo('a'), echo('b', { needs: ['a'] })] }).planHash).toBe(planHash);
  });

  it("records each gate's side effects: the worse of its own and its executor's", () => {
    const { plan } = compileRaw({
      steps: [
        echo('a', {
          gates: [
            { id: 'run', executor: 'command', with: { argv: ['x'] } },
            { id: 'shape', executor: 'echo' },
            { id: 'claims-none', executor: 'command', sideEffects: 'none' },
            { id: 'declares-write', executor: 'echo', sideEffects: 'write' },
          ],
        }),
        echo('b'),
      ],
    });
    expect(plan.steps[0]?.gates.map((g) => [g.id, g.sideEffects])).toEqual([
      ['run', 'external'],
      ['shape', 'none'],
      ['claims-none', 'external'],
      ['declares-write', 'write'],
    ]);
    expect(plan.steps[1]?.gates).toEqual([]);
  });

  it('names an unknown step in needs, routes and inputs', () => {
    expect(failure({ steps: [echo('a', { needs: ['ghost'] })] }).data).toMatchObject({
      reason: 'unknown_step',
      step: 'a',
      ref: 'ghost',
    });
    expect(failure({ steps: [echo('a', { routes: [{ on: 'failed', to: 'ghost' }] })] }).data).toMatchObject({
      reason: 'unknown_step',
      ref: 'ghost',
    });
    expect(
      failure({ steps: [echo('a', { input: { x: { from: 'step', step: 'ghost' } } })] }).data,
    ).toMatchObject({ reason: 'unknown_step', input: 'x' });
  });

  it('refuses an input read from a step that is not upstream', () => {
    const err = failure({ steps: [echo('a'), echo('b', { input: { x: { from: 'step', step: 'a' } } })] });
    expect(err.data).toMatchObject({ reason: 'input_not_upstream', step: 'b', ref: 'a' });
  });

  it('refuses duplicate step ids and dependency cycles, naming the cycle', () => {
    expect(failure({ steps: [echo('a'), echo('a')] }).data).toMatchObject({
      reason: 'duplicate_step',
      step: 'a',
    });
    const err = failure({
      steps: [echo('a', { needs: ['c'] }), echo('b', { needs: ['a'] }), echo('c', { needs: ['b'] })],
    });
    expect(err.data.reason).toBe('cycle');
    expect(err.data.cycle).toEqual(['a', 'b', 'c', 'a']);
  });

  it('accepts a route cycle only when a step in it bounds its visits', () => {
    const steps = (maxVisits?: number) => [
      echo('build', maxVisits === undefined ? {} : { maxVisits }),
      echo('test', { needs: ['build'], routes: [{ on: 'failed', to: 'build' }] }),
    ];
    expect(failure({ steps: steps() }).data).toMatchObject({
      reason: 'unbounded_cycle',
      cycle: ['build', 'test', 'build'],
    });
    expect(compileRaw({ steps: steps(3) }).plan.steps[0]?.maxVisits).toBe(3);
  });

  it('names unknown executors (steps and gates), partitioners and schemas with what is known', () => {
    expect(failure({ steps: [{ id: 'a', executor: 'teleport' }] }).data).toMatchObject({
      reason: 'unknown_executor',
      executor: 'teleport',
      known: ['command', 'echo'],
    });
    expect(failure({ steps: [echo('a', { gates: [{ id: 'g', executor: 'nope' }] })] }).data).toMatchObject({
      reason: 'unknown_executor',
      gate: 'g',
    });
    expect(failure({ steps: [echo('a', { partition: { partitioner: 'by_magic' } })] }).data).toMatchObject({
      reason: 'unknown_partitioner',
      partitioner: 'by_magic',
    });
    expect(failure({ steps: [echo('a', { outputSchema: 'x@1' })] }).data).toMatchObject({
      reason: 'unknown_schema',
      schema: 'x@1',
    });
  });

  it("checks a step's `with` against its executor's schema", () => {
    expect(failure({ steps: [{ id: 'a', executor: 'command', with: { argv: [] } }] }).data).toMatchObject({
      reason: 'executor_config_invalid',
      step: 'a',
    });
  });

  it('refuses route-only steps nothing routes to, and shard inputs outside partitions', () => {
    expect(failure({ steps: [echo('a'), echo('b', { start: 'route' })] }).data).toMatchObject({
      reason: 'unreachable_step',
      step: 'b',
    });
    expect(failure({ steps: [echo('a', { input: { s: { from: 'shard' } } })] }).data).toMatchObject({
      reason: 'shard_outside_partition',
    });
  });

  it('wraps a plan that does not parse and a compile that throws', () => {
    expect(failure({ steps: [] }).data).toMatchObject({ reason: 'plan_invalid' });
    expect(failure({ steps: [{ id: 'has.dot', executor: 'echo' }] }).data.reason).toBe('plan_invalid');
  });

  it('reports invalid bindings with zod issues', () => {
    try {
      compileBlueprint(catalogWithRaw(), rawPlanBlueprint, 'not an object');
      expect.unreachable();
    } catch (e) {
      expect(hasErrorCode(e, 'blueprint_bindings_invalid')).toBe(true);
      expect((e as LilyError).data.issues).toBeInstanceOf(Array);
    }
  });
});
