import { z } from 'zod';
import { jsonSchema } from '../contracts/json.js';

/** Step ids double as XState state keys: no dots. */
export const stepIdSchema = z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]{0,63}$/, 'letters, digits, _ or -');

/**
 * Where a value of a step's input comes from: the run input, an earlier step's output (the
 * step must be in `needs`, directly or transitively), the current shard of a partition step,
 * or a literal. `path` is a dotted path into that value (`a.b.0.c`); absent means the whole.
 */
export const inputRefSchema = z.union([
  z.object({ from: z.literal('input'), path: z.string().optional() }),
  z.object({ from: z.literal('step'), step: stepIdSchema, path: z.string().optional() }),
  z.object({ from: z.literal('shard'), path: z.string().optional() }),
  z.object({ from: z.literal('value'), value: jsonSchema }),
]);
/**
 * Where a value of a step's input (or of the run's output) comes from.
 *
 * @example
 * const ref: InputRef = { from: 'step', step: 'build', path: 'json.version' };
 */
export type InputRef = z.infer<typeof inputRefSchema>;

export const backoffSchema = z.object({
  initialMs: z.number().int().nonnegative().default(200),
  factor: z.number().min(1).default(2),
  maxMs: z.number().int().nonnegative().default(30_000),
  /** 0..1: the share of each delay that is jitter, derived deterministically from the dispatch id. */
  jitter: z.number().min(0).max(1).default(0),
});

export const retrySchema = z.object({
  maxAttempts: z.number().int().min(1).max(100).default(1),
  backoff: backoffSchema.prefault({}),
});

export const sideEffectsSchema = z.enum(['none', 'read', 'write', 'external']);

/** A command gate run after a step succeeds (seed kernel layer 3). */
export const gateSchema = z.object({
  id: stepIdSchema,
  /** A gate template (from a pack) to expand at compile: its executor and `with`, overridden by ours. */
  template: z.string().optional(),
  executor: z.string().min(1).default('command'),
  with: z.record(z.string(), jsonSchema).default({}),
  required: z.boolean().default(true),
  timeoutMs: z.number().int().positive().optional(),
  /**
   * What running the gate may do: the worse of what it declares and what its executor declares
   * (set at compile). A gate with side effects (or none recorded) is skipped in a dry run.
   */
  sideEffects: sideEffectsSchema.optional(),
});

export const routeOutcomeSchema = z.enum(['succeeded', 'failed', 'gate_failed', 'timed_out']);
/** `$end` ends the run successfully, `$fail` fails it; anything else is a step id. */
export const routeTargetSchema = z.union([z.literal('$end'), z.literal('$fail'), stepIdSchema]);
export const routeSchema = z.object({ on: routeOutcomeSchema, to: routeTargetSchema });

export const partitionSchema = z.object({
  partitioner: z.string().min(1),
  /** Static configuration handed to the partitioner. */
  with: z.record(z.string(), jsonSchema).default({}),
  concurrency: z.number().int().min(1).max(1024).default(4),
  mode: z.enum(['fail_fast', 'collect']).default('fail_fast'),
});

export const stepSchema = z.object({
  id: stepIdSchema,
  title: z.string().optional(),
  executor: z.string().min(1),
  /** Static configuration for the executor (argv for `command`, ...). */
  with: z.record(z.string(), jsonSchema).default({}),
  /** Named inputs resolved at dispatch time. */
  input: z.record(z.string(), inputRefSchema).default({}),
  needs: z.array(stepIdSchema).default([]),
  /** `needs`: starts when every need has succeeded. `route`: starts only when a route sends the run here. */
  start: z.enum(['needs', 'route']).default('needs'),
  retry: retrySchema.prefault({}),
  timeoutMs: z.number().int().positive().optional(),
  idempotent: z.boolean().default(true),
  capabilities: z.array(z.string()).default([]),
  sideEffects: sideEffectsSchema.default('none'),
  /** Paths in the workspace this step reads or writes, checked by the policy gate. */
  paths: z.array(z.string()).default([]),
  approval: z.object({ reason: z.string() }).optional(),
  gates: z.array(gateSchema).default([]),
  routes: z.array(routeSchema).default([]),
  /** How many times routes may enter this step; required on any step inside a route cycle. */
  maxVisits: z.number().int().min(1).max(1000).optional(),
  partition: partitionSchema.optional(),
  /** Name of a registered artifact/output schema (`name@version`) the step output must match. */
  outputSchema: z.string().optional(),
});

export const planSchema = z.object({
  blueprint: z.object({ id: z.string().min(1), version: z.string().min(1) }),
  /** Optional job kind (HXO contract): restricts partitioners, executors and safety. */
  kind: z.string().optional(),
  steps: z.array(stepSchema).min(1),
  /** Run timeout, enforced by a timer. */
  timeoutMs: z.number().int().positive().optional(),
  /** How the run payload is built from step outputs: key -> step id (its whole output). */
  output: z.record(z.string(), inputRefSchema).default({}),
});

/**
 * The plan IR after the compile boundary: every default filled in. What a run pins (its hash is
 * `hashJson(plan)`), what the run machine is compiled from, what `lily blueprints plan` prints.
 *
 * @example
 * const { plan } = compileBlueprint(catalog, blueprint, bindings);
 * for (const step of plan.steps) console.log(step.id, step.executor, step.needs, step.retry.maxAttempts);
 */
export type Plan = z.output<typeof planSchema>;
/** A plan as written, before defaults: what `compile` returns (without `blueprint`, see PlanBody). */
export type PlanInput = z.input<typeof planSchema>;
/** One step of a compiled plan (field reference: docs/blueprints.md, "The plan"). */
export type PlanStep = Plan['steps'][number];
/** A gate of a compiled step: an executor run after the step succeeds; `required` gates fail the step. */
export type PlanGate = PlanStep['gates'][number];
/** A route of a compiled step: on an outcome, go to a step, `$end` or `$fail`. */
export type PlanRoute = PlanStep['routes'][number];
/** The step outcomes a route can follow: `succeeded`, `failed`, `gate_failed`, `timed_out`. */
export type RouteOutcome = z.infer<typeof routeOutcomeSchema>;
/** How a step fans out: a partitioner, its `with`, the shard concurrency and `fail_fast` or `collect`. */
export type PlanPartition = NonNullable<PlanStep['partition']>;
/** Retry backoff: `initialMs * factor^(attempt-1)`, capped at `maxMs`, with deterministic jitter. */
export type Backoff = z.output<typeof backoffSchema>;
