import type { z } from 'zod';
import type { PlanInput } from './plan.js';
import type { CompileTools } from './templates.js';

/**
 * What `compile` returns: the plan without its `blueprint` header, which Lily fills in. Every
 * step field but `id` and `executor` has a default (docs/blueprints.md, "The plan").
 *
 * @example
 * const body: PlanBody = { steps: [{ id: 'hello', executor: 'echo', with: { value: 'hi' } }] };
 */
export type PlanBody = Omit<PlanInput, 'blueprint'>;

/**
 * A code-defined blueprint (seed 002): identity, zod schemas for bindings, run input and run
 * output, and a deterministic, side-effect-free `compile(bindings)` that returns a plan. Make
 * one with `defineBlueprint`, which checks the contract (`blueprint_contract_invalid`). Bindings
 * that do not parse are `blueprint_bindings_invalid` at the compile boundary; a `compile` that
 * throws or returns a plan the boundary refuses is `blueprint_compile_failed`.
 *
 * @example
 * export const hello = defineBlueprint({
 *   id: 'hello.v1', version: '1.0.0', summary: 'Say hello',
 *   bindings: z.object({ name: z.string() }), input: z.object({}), output: z.object({}),
 *   compile: (b) => ({ steps: [{ id: 'greet', executor: 'echo', with: { text: `hello ${b.name}` } }] }),
 * });
 */
export interface Blueprint<
  B extends z.ZodType = z.ZodType,
  I extends z.ZodType = z.ZodType,
  O extends z.ZodType = z.ZodType,
> {
  readonly id: string;
  readonly version: string;
  readonly summary: string;
  readonly bindings: B;
  readonly input: I;
  readonly output: O;
  /** Optional job kind (HXO contract) every plan of this blueprint belongs to. */
  readonly kind?: string;
  /**
   * Must be deterministic and side-effect free: same bindings, same plan, same hash. `tools`
   * gives access to the step templates and routing policies packs contributed.
   */
  compile(bindings: z.output<B>, tools: CompileTools): PlanBody;
}

/**
 * Any blueprint, whatever its schemas: what registries, packs and `checkBlueprint` take.
 *
 * @example
 * const all: AnyBlueprint[] = [releaseCheck, pipelineBlueprint];
 */
// biome-ignore lint/suspicious/noExplicitAny: schemas vary per blueprint; the registry holds them all.
export type AnyBlueprint = Blueprint<any, any, any>;
