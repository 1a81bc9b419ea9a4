import { z } from 'zod';
import { jsonSchema } from '../../contracts/json.js';
import { defineBlueprint } from '../define.js';
import { stepFields, toPlanStep } from './command-step.js';

/**
 * `command.v1`: one step `command` running `run` (argv, no shell) with the `command` executor,
 * then its gates. The run input reaches the program as JSON `{"input": <run input>}` on stdin
 * and in `LILY_INPUT`; the run's payload is `{command: <the step output>}` (`exitCode`,
 * `durationMs`, `stdout`, `stderr`, and `json` with `json_output`). Reference: docs/blueprints.md.
 *
 * @throws LilyError through `compileBlueprint`: `blueprint_bindings_invalid` for bindings
 * without `run` or with unknown fields (the schema is strict).
 * @example
 * compileBlueprint(createBuiltinCatalog(), commandBlueprint, { run: ['npm', 'test'], retries: 2 });
 */
export const commandBlueprint = defineBlueprint({
  id: 'command.v1',
  version: '1.0.0',
  summary: 'Run one command (argv, no shell) in the workspace, then its gates.',
  bindings: z.strictObject({
    run: z.array(z.string()).min(1),
    cwd: stepFields.cwd,
    env: stepFields.env,
    json_output: stepFields.json_output,
    retries: stepFields.retries,
    backoff_ms: stepFields.backoff_ms,
    timeout_ms: stepFields.timeout_ms,
    idempotent: stepFields.idempotent,
    capabilities: stepFields.capabilities,
    paths: stepFields.paths,
    approval: stepFields.approval,
    gates: stepFields.gates,
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
