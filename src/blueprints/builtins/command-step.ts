import { z } from 'zod';
import { jsonSchema } from '../../contracts/json.js';
import type { PlanInput } from '../plan.js';
import { inputRefSchema, routeSchema, stepIdSchema } from '../plan.js';

/** The bindings shape of one command-like step, shared by the built-in blueprints (snake_case, as in YAML). */
export const gateBindingSchema = z.strictObject({
  id: stepIdSchema,
  run: z.array(z.string()).min(1),
  required: z.boolean().default(true),
  timeout_ms: z.number().int().positive().optional(),
});

export const stepFields = {
  id: stepIdSchema,
  title: z.string().optional(),
  /** argv for the `command` executor. */
  run: z.array(z.string()).min(1).optional(),
  /** Any other executor, with its `with`. */
  executor: z.string().optional(),
  with: z.record(z.string(), jsonSchema).optional(),
  cwd: z.string().optional(),
  env: z.record(z.string(), z.string()).optional(),
  json_output: z.boolean().optional(),
  input: z.record(z.string(), inputRefSchema).optional(),
  retries: z.number().int().min(0).max(99).default(0),
  backoff_ms: z.number().int().nonnegative().default(200),
  timeout_ms: z.number().int().positive().optional(),
  idempotent: z.boolean().default(true),
  capabilities: z.array(z.string()).default([]),
  paths: z.array(z.string()).default([]),
  approval: z.string().optional(),
  gates: z.array(gateBindingSchema).default([]),
  routes: z.array(routeSchema).default([]),
  max_visits: z.number().int().min(1).optional(),
  on_route_only: z.boolean().default(false),
};

const oneRunner = (s: { run?: unknown; executor?: unknown }) =>
  (s.run === undefined) !== (s.executor === undefined);
const oneRunnerMessage = { message: 'a step has either `run` (argv) or `executor`' };

export const stepBindingSchema = z.strictObject(stepFields).refine(oneRunner, oneRunnerMessage);
/** A pipeline step: a step binding plus optional `needs`. */
export const pipelineStepBindingSchema = z
  .strictObject({ ...stepFields, needs: z.array(stepIdSchema).optional() })
  .refine(oneRunner, oneRunnerMessage);

export type StepBinding = z.output<typeof stepBindingSchema>;
type StepInput = PlanInput['steps'][number];

/** Turns one step binding into a plan step; `needs` is decided by the blueprint. */
export const toPlanStep = (b: StepBinding, needs: string[]): StepInput => ({
  id: b.id,
  ...(b.title === undefined ? {} : { title: b.title }),
  executor: b.run ? 'command' : (b.executor as string),
  with: b.run
    ? {
        argv: b.run,
        ...(b.cwd === undefined ? {} : { cwd: b.cwd }),
        ...(b.env === undefined ? {} : { env: b.env }),
        ...(b.json_output === undefined ? {} : { jsonOutput: b.json_output }),
      }
    : (b.with ?? {}),
  input: b.input ?? {},
  needs,
  start: b.on_route_only ? 'route' : 'needs',
  retry: { maxAttempts: b.retries + 1, backoff: { initialMs: b.backoff_ms } },
  ...(b.timeout_ms === undefined ? {} : { timeoutMs: b.timeout_ms }),
  idempotent: b.idempotent,
  capabilities: b.capabilities,
  sideEffects: b.run ? 'external' : 'none',
  paths: b.paths,
  ...(b.approval === undefined ? {} : { approval: { reason: b.approval } }),
  gates: b.gates.map((g) => ({
    id: g.id,
    executor: 'command',
    with: { argv: g.run },
    required: g.required,
    ...(g.timeout_ms === undefined ? {} : { timeoutMs: g.timeout_ms }),
  })),
  routes: b.routes,
  ...(b.max_visits === undefined ? {} : { maxVisits: b.max_visits }),
});
