import { z } from 'zod';
import { jsonObjectSchema, jsonSchema } from '../json.js';
import { eventJsonSchema } from './event-json.js';

export const errorInfoSchema = z.object({
  code: z.string(),
  message: z.string(),
  data: z.record(z.string(), z.unknown()).default({}),
});
/** A LilyError as events and receipts carry it: `{code, message, data}` (LilyError.toJSON()). */
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
/**
 * A record of a content-addressed artifact: its sha256, size, media type, name, optional typed
 * schema (`name@version`), who produced it and for which run and step, and its inputs (lineage).
 */
export type ArtifactRef = z.infer<typeof artifactRefSchema>;

/** The result of a run (seed 002): status, artifacts, references, payload; stable JSON. */
export const runEnvelopeSchema = z.object({
  status: z.enum(['succeeded', 'failed', 'cancelled']),
  artifacts: z.array(artifactRefSchema),
  references: z.record(z.string(), eventJsonSchema),
  payload: eventJsonSchema,
});
/**
 * A run's result (seed 002), carried by `run.completed` and embedded in the receipt: `status`,
 * the artifacts of its succeeded steps, `references` (`runId`, `planHash`) and `payload`, the
 * plan's `output` mapping resolved over the step outputs.
 */
export type BlueprintRunEnvelope = z.infer<typeof runEnvelopeSchema>;

export const stepRefSchema = z.object({ stepId: z.string(), attempt: z.number().int().positive() });
export const dispatchRefSchema = stepRefSchema.extend({ dispatchId: z.string() });
export { jsonObjectSchema, jsonSchema };
