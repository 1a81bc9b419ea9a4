import { z } from 'zod';
import { jsonSchema } from '../../contracts/json.js';
import { defineBlueprint } from '../define.js';
import { gateBindingSchema, toPlanStep } from './command-step.js';

/** command.v1: one command step, with optional gates after it. */
export const commandBlueprint = defineBlueprint({
  id: 'command.v1',
  version: '1.0.0',
  summary: 'Run one command (argv, no shell) in the workspace, then its gates.',
  bindings: z.strictObject({
    run: z.array(z.string()).min(1),
    cwd: z.string().optional(),
    env: z.record(z.string(), z.string()).optional(),
    json_output: z.boolean().optional(),
    retries: z.number().int().min(0).max(99).default(0),
    backoff_ms: z.number().int().nonnegative().default(200),
    timeout_ms: z.number().int().positive().optional(),
    idempotent: z.boolean().default(true),
    capabilities: z.array(z.string()).default([]),
    paths: z.array(z.string()).default([]),
    approval: z.string().optional(),
    gates: z.array(gateBindingSchema).default([]),
  }),
  input: z.record(z.string(), jsonSchema),
  output: z.object({ command: jsonSchema }),
  compile: (b) => ({
    steps: [
      toPlanStep(
        { ...b, id: 'command', routes: [], on_route_only: false, input: { input: { from: 'input' } } },
        [],
      ),
    ],
    output: { command: { from: 'step', step: 'command' } },
  }),
});
