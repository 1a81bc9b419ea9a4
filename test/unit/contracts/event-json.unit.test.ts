import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventJsonObjectSchema, eventJsonSchema } from '../../../src/contracts/events/event-json.js';
import { jsonObjectSchema, jsonSchema } from '../../../src/contracts/json.js';

const odd: unknown[] = [
  Number.NaN,
  Number.POSITIVE_INFINITY,
  undefined,
  new Date(0),
  new Map([['a', 1]]),
  { [Symbol('s')]: 1 },
  JSON.parse('{"__proto__": {"a": 1}, "b": 2}'),
  Object.create(null),
  Object.defineProperty({ a: 1 }, 'hidden', { value: 2, enumerable: false }),
  [1, undefined],
  new Array(3).fill(1, 0, 1),
  { a: () => 1 },
  { a: 1n },
  Object.assign([1, 2], { extra: 3 }),
  new (class extends Array {})(),
];
let deep: unknown = 1;
for (let i = 0; i < 100; i++) deep = i % 2 ? [deep] : { d: deep };
odd.push(deep);

/** The catalog's JSON schemas must accept what contracts/json.ts accepts, with the same output. */
const sameAsSlow = (value: unknown) => {
  for (const [fast, slow] of [
    [eventJsonSchema, jsonSchema],
    [eventJsonObjectSchema, jsonObjectSchema],
  ] as const) {
    const a = fast.safeParse(value);
    const b = slow.safeParse(value);
    expect(a.success).toBe(b.success);
    if (a.success && b.success) expect(a.data).toStrictEqual(b.data);
  }
};

describe('event-json', () => {
  it('decides every value as the zod JSON schema does, with an equal output', () => {
    fc.assert(fc.property(fc.anything({ withObjectString: true, withNullPrototype: true }), sameAsSlow), {
      numRuns: 2000,
    });
    fc.assert(fc.property(fc.jsonValue(), sameAsSlow), { numRuns: 500 });
    for (const v of odd) sameAsSlow(v);
  });

  it('keeps plain JSON as given', () => {
    const value = { a: [1, 'x', null, { b: true }] };
    expect(eventJsonSchema.parse(value)).toBe(value);
    expect(eventJsonObjectSchema.parse(value)).toBe(value);
  });
});
