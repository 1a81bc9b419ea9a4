import type { z } from 'zod';
import type { PlanInput, routeSchema } from './plan.js';

/** One step as `compile` writes it (defaults not yet applied): what a step template builds. */
export type StepInput = PlanInput['steps'][number];

/**
 * A parameterised step a blueprint can reuse (seed kernel layer 6). A pack contributes it;
 * `compile` builds it with `tools.stepTemplate(name, params)`. `params` is checked before
 * `build` is called (`blueprint_compile_failed`, `reason: 'template_params_invalid'`).
 *
 * @example
 * const npmScript: StepTemplate = {
 *   name: 'npm-script', summary: 'Run an npm script',
 *   params: z.object({ script: z.string(), id: z.string().optional() }),
 *   build: (p) => { const { script, id } = p as { script: string; id?: string };
 *     return { id: id ?? script, executor: 'command', with: { argv: ['npm', 'run', script] } }; },
 * };
 */
export interface StepTemplate {
  name: string;
  summary: string;
  params: z.ZodType;
  build(params: unknown): StepInput;
}

/**
 * A named set of routes (seed kernel layer 4/6), e.g. "retry the build once, then fail". A pack
 * contributes it; `compile` reads it with `tools.routingPolicy(name)`.
 *
 * @example
 * const retryBuild: RoutingPolicy = { name: 'retry-build', summary: 'Back to build on failure',
 *   routes: [{ on: 'failed', to: 'build' }] };
 */
export interface RoutingPolicy {
  name: string;
  summary: string;
  routes: z.input<typeof routeSchema>[];
}

/**
 * What `compile` may use besides its bindings: pack templates, looked up by name in the catalog
 * the plan is compiled against.
 *
 * @example
 * compile: (b, tools) => ({ steps: [tools.stepTemplate('npm-script', { script: 'test' })] })
 */
export interface CompileTools {
  /** Builds a step from a step template; throws `blueprint_compile_failed` for an unknown name or bad params. */
  stepTemplate(name: string, params: unknown): StepInput;
  /** The routes of a routing policy; throws `blueprint_compile_failed` for an unknown name. */
  routingPolicy(name: string): RoutingPolicy['routes'];
}
