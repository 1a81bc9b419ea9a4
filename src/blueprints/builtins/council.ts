import { z } from 'zod';
import { jsonSchema } from '../../contracts/json.js';
import { defineBlueprint } from '../define.js';
import { stepIdSchema } from '../plan.js';
import { toPlanStep } from './command-step.js';

const memberSchema = z.strictObject({
  id: stepIdSchema,
  run: z.array(z.string()).min(1),
  json_output: z.boolean().default(true),
  retries: z.number().int().min(0).max(99).default(0),
  timeout_ms: z.number().int().positive().optional(),
});

/**
 * `council.v1`: N member commands run in parallel, each given the run input as
 * `{"question": <run input>}`; then a `synthesis` command reads their outputs, keyed by member
 * id, and its output is the run's `verdict`. Members and synthesis parse stdout as JSON by
 * default. Reference: docs/blueprints.md.
 *
 * @throws LilyError through `compileBlueprint`: `blueprint_bindings_invalid` for no members,
 * more than 64, duplicate member ids, or a member named `synthesis`.
 * @example
 * compileBlueprint(createBuiltinCatalog(), councilBlueprint, {
 *   members: [{ id: 'alice', run: ['./review.sh', 'security'] }, { id: 'bob', run: ['./review.sh', 'perf'] }],
 *   synthesis: { run: ['./decide.sh'] },
 * });
 */
export const councilBlueprint = defineBlueprint({
  id: 'council.v1',
  version: '1.0.0',
  summary: 'N member commands in parallel, then a synthesis command that reads their outputs.',
  bindings: z
    .strictObject({
      members: z.array(memberSchema).min(1).max(64),
      synthesis: z.strictObject({
        run: z.array(z.string()).min(1),
        json_output: z.boolean().default(true),
        timeout_ms: z.number().int().positive().optional(),
      }),
    })
    .refine((b) => new Set(b.members.map((m) => m.id)).size === b.members.length, {
      message: 'member ids must be unique',
      path: ['members'],
    })
    .refine((b) => !b.members.some((m) => m.id === 'synthesis'), {
      message: '"synthesis" is reserved for the synthesis step',
      path: ['members'],
    }),
  input: z.record(z.string(), jsonSchema),
  output: z.object({ verdict: jsonSchema }),
  compile: (b) => {
    const common = {
      idempotent: true,
      capabilities: [],
      paths: [],
      gates: [],
      routes: [],
      on_route_only: false,
      backoff_ms: 200,
    };
    const members = b.members.map((m) =>
      toPlanStep({ ...common, ...m, input: { question: { from: 'input' } } }, []),
    );
    const synthesis = toPlanStep(
      {
        ...common,
        id: 'synthesis',
        run: b.synthesis.run,
        json_output: b.synthesis.json_output,
        retries: 0,
        ...(b.synthesis.timeout_ms === undefined ? {} : { timeout_ms: b.synthesis.timeout_ms }),
        input: Object.fromEntries(b.members.map((m) => [m.id, { from: 'step' as const, step: m.id }])),
      },
      b.members.map((m) => m.id),
    );
    return { steps: [...members, synthesis], output: { verdict: { from: 'step', step: 'synthesis' } } };
  },
});
