import type { z } from 'zod';
import type { PlanInput, routeSchema } from './plan.js';

export type StepInput = PlanInput['steps'][number];

/** A parameterised step a blueprint can reuse (seed kernel layer 6). */
export interface StepTemplate {
  name: string;
  summary: string;
  params: z.ZodType;
  build(params: unknown): StepInput;
}

/** A named set of routes (seed kernel layer 4/6), e.g. "retry the build once, then fail". */
export interface RoutingPolicy {
  name: string;
  summary: string;
  routes: z.input<typeof routeSchema>[];
}

/** What `compile` may use besides its bindings: pack templates, looked up by name. */
export interface CompileTools {
  /** Builds a step from a step template; throws `blueprint_compile_failed` for an unknown name or bad params. */
  stepTemplate(name: string, params: unknown): StepInput;
  /** The routes of a routing policy; throws `blueprint_compile_failed` for an unknown name. */
  routingPolicy(name: string): RoutingPolicy['routes'];
}
