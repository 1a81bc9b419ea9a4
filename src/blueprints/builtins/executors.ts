import { z } from 'zod';
import { jsonSchema } from '../../contracts/json.js';
import type { ExecutorInfo, PartitionerInfo } from '../catalog.js';

/** `with` of the `command` executor: argv run without a shell, in a cwd inside the workspace. */
export const commandWithSchema = z.object({
  argv: z.array(z.string()).min(1),
  /** Relative to the workspace root; must stay inside it. */
  cwd: z.string().default('.'),
  /** Extra environment; merged over the allowlisted parent environment. */
  env: z.record(z.string(), z.string()).default({}),
  /** Exit codes that count as success. */
  okExitCodes: z.array(z.number().int()).default([0]),
  /** Parse stdout as JSON into the step output (else the output has stdout text, capped). */
  jsonOutput: z.boolean().default(false),
});

export const echoWithSchema = z.object({ value: jsonSchema.optional() });

export const listWithSchema = z.object({
  items: z.array(jsonSchema).optional(),
  keyField: z.string().optional(),
});

export const BUILTIN_EXECUTORS: ExecutorInfo[] = [
  {
    name: 'command',
    summary: 'Runs argv without a shell in the workspace; exit code, duration, stdout/stderr as artifacts.',
    sideEffects: 'external',
    with: commandWithSchema,
    owner: 'core',
  },
  {
    name: 'echo',
    summary: 'In-process: returns `with.value` merged with the resolved input. No side effects.',
    sideEffects: 'none',
    with: echoWithSchema,
    owner: 'core',
  },
];

export const BUILTIN_PARTITIONERS: PartitionerInfo[] = [
  {
    name: 'list',
    summary: 'One shard per item of `with.items` (or of the step input `items`).',
    with: listWithSchema,
    owner: 'core',
  },
];

/** Output of the `command` executor. */
export const commandResultSchema = z.object({
  exitCode: z.number().int(),
  durationMs: z.number().nonnegative(),
  stdout: z.string(),
  stderr: z.string(),
  json: jsonSchema.optional(),
});
