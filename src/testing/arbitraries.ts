import fc from 'fast-check';
import { type Plan, type PlanInput, planSchema } from '../blueprints/plan.js';

/** Options of `planArb`. */
export interface PlanArbOptions {
  /** Most steps per plan (default 6). */
  readonly maxSteps?: number;
}

/** A value one time in four, else undefined. */
const sometimes = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> =>
  fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });

const stepSpec = fc.record({
  needsMask: fc.nat(),
  maxAttempts: fc.integer({ min: 1, max: 3 }),
  jitter: fc.constantFrom(0, 0.5),
  timeoutMs: sometimes(fc.integer({ min: 10, max: 5_000 })),
  idempotent: fc.boolean(),
  approval: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
  gates: fc.array(fc.boolean(), { maxLength: 2 }),
  partition: sometimes(
    fc.record({
      concurrency: fc.integer({ min: 1, max: 3 }),
      mode: fc.constantFrom('fail_fast' as const, 'collect' as const),
    }),
  ),
  routes: fc.array(
    fc.record({
      on: fc.constantFrom(
        'succeeded' as const,
        'failed' as const,
        'gate_failed' as const,
        'timed_out' as const,
      ),
      to: fc.nat(),
    }),
    { maxLength: 2 },
  ),
  routeStart: fc.integer({ min: 0, max: 6 }).map((n) => n === 0),
  maxVisits: fc.integer({ min: 1, max: 3 }),
});
type StepSpec = typeof stepSpec extends fc.Arbitrary<infer T> ? T : never;

const toStep = (spec: StepSpec, i: number, n: number): PlanInput['steps'][number] => {
  const id = `s${i}`;
  const needs = Array.from({ length: i }, (_, j) => j)
    .filter((j) => (spec.needsMask >> j) & 1)
    .map((j) => `s${j}`);
  const target = (to: number) => {
    const k = to % (n + 2);
    return k === n ? '$end' : k === n + 1 ? '$fail' : `s${k}`;
  };
  return {
    id,
    executor: spec.partition ? 'shard-worker' : 'worker',
    with: { step: id },
    input: i > 0 ? { prev: { from: 'step', step: `s${i - 1}` }, name: { from: 'input', path: 'name' } } : {},
    needs,
    start: spec.routeStart && i > 0 ? 'route' : 'needs',
    retry: {
      maxAttempts: spec.maxAttempts,
      backoff: { initialMs: 100, factor: 2, maxMs: 1_000, jitter: spec.jitter },
    },
    ...(spec.timeoutMs !== undefined ? { timeoutMs: spec.timeoutMs } : {}),
    idempotent: spec.idempotent,
    ...(spec.approval ? { approval: { reason: 'check' } } : {}),
    gates: spec.gates.map((required, g) => ({ id: `g${g}`, required })),
    ...(spec.partition ? { partition: { partitioner: 'list', ...spec.partition } } : {}),
    routes: spec.routes.map((r) => ({ on: r.on, to: target(r.to) })),
    maxVisits: spec.maxVisits,
  };
};

/**
 * Random valid plans: DAGs (needs only on earlier steps) with retries, backoff jitter,
 * timeouts, idempotent and non-idempotent steps, required and optional gates, partitions
 * (fail_fast and collect), routes on every outcome (to steps, `$end`, `$fail`, cycles bounded
 * by maxVisits), route-only steps and a run timeout. They use only the built-in `echo` and
 * `command` executors and the `list` partitioner. Never throws.
 *
 * @example
 * fc.assert(fc.property(planArb({ maxSteps: 4 }), outcomesArb(), (plan, choices) => {
 *   checkRun(createRunProgram(plan), choices);
 * }));
 */
export const planArb = (options: PlanArbOptions = {}): fc.Arbitrary<Plan> =>
  fc
    .record({
      specs: fc.array(stepSpec, { minLength: 1, maxLength: options.maxSteps ?? 6 }),
      timeoutMs: sometimes(fc.integer({ min: 100, max: 20_000 })),
    })
    .map(({ specs, timeoutMs }) =>
      planSchema.parse({
        blueprint: { id: 'random', version: '1' },
        steps: specs.map((s, i) => toStep(s, i, specs.length)),
        ...(timeoutMs !== undefined ? { timeoutMs } : {}),
        output: { last: { from: 'step', step: `s${specs.length - 1}` } },
      }),
    );

/**
 * Outcome sequences: each number picks one of the events the world could send next (see
 * `possibleEvents`); when the sequence runs out the first possible event is taken, which
 * always makes progress, so every simulated run ends. Never throws.
 *
 * @example
 * fc.assert(fc.property(outcomesArb(200), (choices) => { checkRun(program, choices); }));
 */
export const outcomesArb = (maxLength = 120): fc.Arbitrary<number[]> => fc.array(fc.nat(), { maxLength });
