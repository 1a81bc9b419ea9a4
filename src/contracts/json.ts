import { z } from 'zod';

/** A JSON leaf. */
export type JsonPrimitive = string | number | boolean | null;
/** A JSON value: what step inputs, step outputs, run inputs and payloads are. */
export type Json = JsonPrimitive | Json[] | { [key: string]: Json };
/** A JSON object. */
export type JsonObject = { [key: string]: Json };

/**
 * The zod schema of any JSON value (finite numbers, no `undefined`), for blueprints whose input
 * or output is free-form JSON.
 *
 * @example
 * defineBlueprint({ ...rest, input: z.record(z.string(), jsonSchema), output: z.object({ result: jsonSchema }) });
 */
export const jsonSchema: z.ZodType<Json> = z.lazy(() =>
  z.union([
    z.string(),
    z.number(),
    z.boolean(),
    z.null(),
    z.array(jsonSchema),
    z.record(z.string(), jsonSchema),
  ]),
);
/**
 * The zod schema of a JSON object.
 *
 * @example
 * jsonObjectSchema.parse({ a: [1, 'x'] });
 */
export const jsonObjectSchema: z.ZodType<JsonObject> = z.record(z.string(), jsonSchema);
