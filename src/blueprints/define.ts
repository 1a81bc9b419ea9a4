import { z } from 'zod';
import { LilyError } from '../contracts/errors.js';
import type { Blueprint } from './blueprint.js';

const BLUEPRINT_ID = /^[a-z0-9][a-z0-9._-]{0,127}$/;
const VERSION = /^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$/;

const isZod = (v: unknown): v is z.ZodType => v instanceof z.ZodType;

/**
 * Checks a blueprint against the contract (seed 002) and returns it frozen. It does not call
 * `compile`: bindings and plans are checked at the compile boundary (`compileBlueprint`), for
 * each job, with the catalog the job runs against.
 *
 * @throws LilyError `blueprint_contract_invalid` `{id, problems}` naming every problem: the id
 * must be lowercase (`[a-z0-9][a-z0-9._-]*`), the version semver, the summary non-empty,
 * `bindings`, `input` and `output` zod schemas, `compile` a function, `kind` a string if given.
 * @example
 * import { defineBlueprint } from 'lily';
 * import { z } from 'zod';
 *
 * export const greet = defineBlueprint({
 *   id: 'greet.v1',
 *   version: '1.0.0',
 *   summary: 'Echo a greeting',
 *   bindings: z.object({ name: z.string().default('world') }),
 *   input: z.object({}),
 *   output: z.object({ greeting: z.unknown() }),
 *   compile: (b) => ({
 *     steps: [{ id: 'greet', executor: 'echo', with: { value: { text: `hello ${b.name}` } } }],
 *     output: { greeting: { from: 'step', step: 'greet' } },
 *   }),
 * });
 */
export const defineBlueprint = <B extends z.ZodType, I extends z.ZodType, O extends z.ZodType>(
  def: Blueprint<B, I, O>,
): Blueprint<B, I, O> => {
  const problems = contractProblems(def);
  if (problems.length > 0) {
    const id = typeof def?.id === 'string' ? def.id : undefined;
    throw new LilyError(
      'blueprint_contract_invalid',
      `blueprint ${id ?? '(no id)'} breaks the contract: ${problems.join('; ')}`,
      {
        id,
        problems,
      },
    );
  }
  return Object.freeze({ ...def });
};

/** The contract problems of a candidate blueprint (empty when it is valid). Internal: packs use it. */
export const contractProblems = (def: unknown): string[] => {
  if (typeof def !== 'object' || def === null) return ['a blueprint must be an object'];
  const d = def as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof d.id !== 'string' || !BLUEPRINT_ID.test(d.id))
    problems.push('id must match [a-z0-9][a-z0-9._-]*');
  if (typeof d.version !== 'string' || !VERSION.test(d.version))
    problems.push('version must be semver (1.2.3)');
  if (typeof d.summary !== 'string' || d.summary.trim() === '')
    problems.push('summary must be a non-empty string');
  for (const key of ['bindings', 'input', 'output'] as const) {
    if (!isZod(d[key])) problems.push(`${key} must be a zod schema`);
  }
  if (typeof d.compile !== 'function') problems.push('compile must be a function');
  if (d.kind !== undefined && typeof d.kind !== 'string') problems.push('kind must be a string when present');
  return problems;
};
