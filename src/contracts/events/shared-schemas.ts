import { z } from 'zod';
import { jsonObjectSchema, jsonSchema } from '../json.js';

export const errorInfoSchema = z.object({
  code: z.string(),
  message: z.string(),
  data: z.record(z.string(), z.unknown()).default({}),
});
export type ErrorInfo = z.infer<typeof errorInfoSchema>;

export const artifactRefSchema = z.object({
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().nonnegative(),
  mediaType: z.string(),
  name: z.string(),
  type: z.string().optional(),
  producer: z.string(),
  runId: z.string().optional(),
  stepId: z.string().optional(),
  inputs: z.array(z.string()).default([]),
  createdAt: z.number(),
});
export type ArtifactRef = z.infer<typeof artifactRefSchema>;

/** The result of a run (seed 002): status, artifacts, references, payload; stable JSON. */
export const runEnvelopeSchema = z.object({
  status: z.enum(['succeeded', 'failed', 'cancelled']),
  artifacts: z.array(artifactRefSchema),
  references: z.record(z.string(), jsonSchema),
  payload: jsonSchema,
});
export type BlueprintRunEnvelope = z.infer<typeof runEnvelopeSchema>;

export const stepRefSchema = z.object({ stepId: z.string(), attempt: z.number().int().positive() });
export const dispatchRefSchema = stepRefSchema.extend({ dispatchId: z.string() });
export { jsonObjectSchema, jsonSchema };
