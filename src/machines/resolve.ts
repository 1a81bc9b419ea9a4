import type { InputRef } from '../blueprints/plan.js';
import type { Json, JsonObject } from '../contracts/index.js';
import type { StepState } from './types.js';

/** What input refs can read: the run input, step outputs, and the current shard. */
export interface ResolveScope {
  readonly input: JsonObject;
  readonly steps: Readonly<Record<string, StepState>>;
  readonly shard?: Json;
}

/** Follows a dotted path (`a.b.0.c`) into a JSON value; undefined when any segment is missing. */
export const atPath = (value: Json | undefined, path: string | undefined): Json | undefined => {
  if (path === undefined || path === '') return value;
  let cur: Json | undefined = value;
  for (const seg of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = Array.isArray(cur) ? cur[Number(seg)] : cur[seg];
    if (cur === undefined) return undefined;
  }
  return cur;
};

export const resolveRef = (ref: InputRef, scope: ResolveScope): Json | undefined => {
  switch (ref.from) {
    case 'value':
      return ref.value;
    case 'input':
      return atPath(scope.input, ref.path);
    case 'shard':
      return atPath(scope.shard, ref.path);
    case 'step':
      return atPath(scope.steps[ref.step]?.output, ref.path);
  }
};

/**
 * Resolves a mapping (`name -> ref`) into a JSON object. Refs that resolve to nothing (a step
 * without output, a missing path) are left out rather than failing the step: the executor or
 * its input schema decides whether the value was required.
 */
export const resolveMapping = (
  mapping: Readonly<Record<string, InputRef>>,
  scope: ResolveScope,
): JsonObject => {
  const out: JsonObject = {};
  for (const [key, ref] of Object.entries(mapping)) {
    const value = resolveRef(ref, scope);
    if (value !== undefined) out[key] = value;
  }
  return out;
};
