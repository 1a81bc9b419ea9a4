import { z } from 'zod';
import type { AnyBlueprint } from './blueprint.js';

/** A blueprint as JSON: what `lily blueprints show` prints. */
export interface BlueprintDescription {
  id: string;
  version: string;
  summary: string;
  kind?: string;
  /** JSON Schema of what a job writes: a field with a default is optional and shows its `default`. */
  bindings: unknown;
  /** JSON Schema of what a run is given, read the same way. */
  input: unknown;
  /** JSON Schema of the run's payload as the blueprint produces it (defaults applied, so required). */
  output: unknown;
}

/**
 * `io: 'input'` describes what a user writes: zod's default (`'output'`) describes the parsed
 * value, in which a defaulted field is always present and so listed as `required`.
 */
const toSchema = (schema: z.ZodType, io: 'input' | 'output'): unknown => {
  try {
    return z.toJSONSchema(schema, { io, unrepresentable: 'any' });
  } catch {
    return { description: 'not representable as JSON Schema' };
  }
};

/** A blueprint as JSON: identity and its schemas as JSON Schema (for `lily blueprints show`). */
export const describeBlueprint = (bp: AnyBlueprint): BlueprintDescription => ({
  id: bp.id,
  version: bp.version,
  summary: bp.summary,
  ...(bp.kind === undefined ? {} : { kind: bp.kind }),
  bindings: toSchema(bp.bindings, 'input'),
  input: toSchema(bp.input, 'input'),
  output: toSchema(bp.output, 'output'),
});
