import { z } from 'zod';
import type { AnyBlueprint } from './blueprint.js';

export interface BlueprintDescription {
  id: string;
  version: string;
  summary: string;
  kind?: string;
  bindings: unknown;
  input: unknown;
  output: unknown;
}

const toSchema = (schema: z.ZodType): unknown => {
  try {
    return z.toJSONSchema(schema, { unrepresentable: 'any' });
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
  bindings: toSchema(bp.bindings),
  input: toSchema(bp.input),
  output: toSchema(bp.output),
});
