import { z } from 'zod';
import { LilyError } from '../contracts/errors.js';
import type { Blueprint } from './blueprint.js';

const BLUEPRINT_ID = /^[a-z0-9][a-z0-9._-]{0,127}$/;
const VERSION = /^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$/;

const isZod = (v: unknown): v is z.ZodType => v instanceof z.ZodType;

/**
 * Checks a blueprint against the contract (seed 002) and returns it frozen. Throws
 * `blueprint_contract_invalid` naming every problem: a lowercase id, a semver version, a
 * summary, zod schemas for bindings, input and output, and a compile function.
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

/** The contract problems of a candidate blueprint (empty when it is valid). */
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
