import { z } from 'zod';
import { jsonSchema } from '../../contracts/json.js';
import { defineBlueprint } from '../define.js';
import { pipelineStepBindingSchema, toPlanStep } from './command-step.js';

/**
 * `pipeline.v1`: command (or other executor) steps. A step without `needs` runs after the step
 * before it (sequential); `needs: []` starts it at once, `needs: [a, b]` after both (parallel).
 * A step's program gets only its own `input` mapping (none by default: `{}` on stdin); the run's
 * payload maps every step id to its output. Reference: docs/blueprints.md.
 *
 * @throws LilyError through `compileBlueprint`: `blueprint_bindings_invalid` for a step with
 * both or neither of `run` and `executor`, or an unknown field; `blueprint_compile_failed` for
 * duplicate ids, unknown `needs`, a cycle, or a route cycle without `max_visits`.
 * @example
 * compileBlueprint(createBuiltinCatalog(), pipelineBlueprint, {
 *   steps: [
 *     { id: 'lint', run: ['npm', 'run', 'lint'], needs: [] },
 *     { id: 'test', run: ['npm', 'test'], needs: [] },
 *     { id: 'pack', run: ['npm', 'pack'], needs: ['lint', 'test'] },
 *   ],
 * });
 */
export const pipelineBlueprint = defineBlueprint({
  id: 'pipeline.v1',
  version: '1.0.0',
  summary: 'Sequential and parallel steps with needs, retries, timeouts, gates and routes.',
  bindings: z.strictObject({
    steps: z.array(pipelineStepBindingSchema).min(1),
    timeout_ms: z.number().int().positive().optional(),
  }),
  input: z.record(z.string(), jsonSchema),
  output: z.record(z.string(), jsonSchema),
  compile: (b) => ({
    steps: b.steps.map(({ needs, ...step }, i) => {
      const previous = i > 0 ? b.steps[i - 1]?.id : undefined;
      return toPlanStep(step, needs ?? (previous === undefined ? [] : [previous]));
    }),
    ...(b.timeout_ms === undefined ? {} : { timeoutMs: b.timeout_ms }),
    output: Object.fromEntries(b.steps.map((s) => [s.id, { from: 'step' as const, step: s.id }])),
  }),
});
