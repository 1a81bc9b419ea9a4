/**
 * `lily blueprints show` (describeBlueprint): bindings and input are described as the user
 * writes them, so a field with a default is optional and shows its default; the output is
 * described as the blueprint produces it.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BUILTIN_BLUEPRINTS, describeBlueprint, pipelineBlueprint } from '../../../src/blueprints/index.js';

interface JsonSchemaObject {
  type?: string;
  properties?: Record<string, JsonSchemaObject>;
  required?: string[];
  items?: JsonSchemaObject;
  default?: unknown;
  anyOf?: JsonSchemaObject[];
}

/** Every object schema inside a JSON Schema, with its path. */
const objectsIn = (schema: JsonSchemaObject, path = '$'): [string, JsonSchemaObject][] => [
  ...(schema.properties ? [[path, schema] as [string, JsonSchemaObject]] : []),
  ...Object.entries(schema.properties ?? {}).flatMap(([k, s]) => objectsIn(s, `${path}.${k}`)),
  ...(schema.items ? objectsIn(schema.items, `${path}[]`) : []),
  ...(schema.anyOf ?? []).flatMap((s, i) => objectsIn(s, `${path}|${i}`)),
];

describe('describeBlueprint', () => {
  it('pipeline.v1: only `steps` and a step `id` are required; defaulted fields show their default', () => {
    const bindings = describeBlueprint(pipelineBlueprint).bindings as JsonSchemaObject;
    expect(bindings.required).toEqual(['steps']);
    const step = bindings.properties?.steps?.items as JsonSchemaObject;
    expect(step.required).toEqual(['id']);
    expect(step.properties).toMatchObject({
      retries: { default: 0 },
      backoff_ms: { default: 200 },
      idempotent: { default: true },
      capabilities: { default: [] },
      paths: { default: [] },
      gates: { default: [] },
      routes: { default: [] },
      on_route_only: { default: false },
    });
    const gate = step.properties?.gates?.items as JsonSchemaObject;
    expect(gate.required).toEqual(['id', 'run']);
    expect(gate.properties?.required).toMatchObject({ default: true });
  });

  it('never lists a field with a default as required, in any built-in blueprint', () => {
    for (const bp of BUILTIN_BLUEPRINTS) {
      const d = describeBlueprint(bp);
      for (const schema of [d.bindings, d.input] as JsonSchemaObject[]) {
        for (const [path, object] of objectsIn(schema)) {
          const wrong = (object.required ?? []).filter((k) => object.properties?.[k]?.default !== undefined);
          expect(wrong, `${bp.id} ${path}`).toEqual([]);
        }
      }
    }
  });

  it('describes the output as produced: a defaulted output field is always there', () => {
    const bp = {
      ...pipelineBlueprint,
      output: z.object({ status: z.string().default('ok'), note: z.string().optional() }),
    };
    expect((describeBlueprint(bp).output as JsonSchemaObject).required).toEqual(['status']);
    const input = {
      ...pipelineBlueprint,
      input: z.object({ ref: z.string().default('HEAD'), n: z.number() }),
    };
    expect(describeBlueprint(input).input).toMatchObject({
      required: ['n'],
      properties: { ref: { default: 'HEAD' } },
    });
  });
});
