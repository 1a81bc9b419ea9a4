import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  decodeSubjectToken,
  encodeSubjectToken,
  hashJson,
} from '../../src/contracts/index.js';

const anyString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'grapheme' }),
  fc.constantFrom('', '.', '*', '>', ' ', '\t', '\n', '_', '__', '_0041', 'a.b.*.>', 'ü', '🙂', '\uD800'),
);

describe('subject token encoding', () => {
  it('round-trips every string, lone surrogates included', () => {
    fc.assert(
      fc.property(anyString, (s) => {
        expect(decodeSubjectToken(encodeSubjectToken(s))).toBe(s);
      }),
      { numRuns: 2000 },
    );
  });

  it('never yields ".", "*", ">", whitespace or an empty token', () => {
    fc.assert(
      fc.property(anyString, (s) => {
        const token = encodeSubjectToken(s);
        expect(token.length).toBeGreaterThan(0);
        expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
      }),
      { numRuns: 2000 },
    );
  });

  it('is injective: different strings give different tokens', () => {
    fc.assert(
      fc.property(anyString, anyString, (a, b) => {
        fc.pre(a !== b);
        expect(encodeSubjectToken(a)).not.toBe(encodeSubjectToken(b));
      }),
    );
  });
});

/** The same JSON value with every object's keys in a shuffled order. */
const shuffledKeys = (v: unknown, seed: number): unknown => {
  if (Array.isArray(v)) return v.map((x, i) => shuffledKeys(x, seed + i));
  if (v === null || typeof v !== 'object') return v;
  const entries = Object.entries(v);
  entries.sort(
    (a, b) => ((a[0].length * 31 + seed) % 7) - ((b[0].length * 31 + seed) % 7) || (seed % 2 ? -1 : 1),
  );
  return Object.fromEntries(entries.map(([k, x]) => [k, shuffledKeys(x, seed + 1)]));
};

describe('canonical JSON', () => {
  it('is stable under key order and parses back to the same value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.nat(), (value, seed) => {
        const text = canonicalJson(value);
        expect(canonicalJson(shuffledKeys(value, seed))).toBe(text);
        expect(hashJson(shuffledKeys(value, seed + 3))).toBe(hashJson(value));
        expect(canonicalJson(JSON.parse(text))).toBe(text);
      }),
      { numRuns: 1000 },
    );
  });
});

/** The walk canonicalJson replaced (parts per level, joined), kept as the reference of its bytes. */
const referenceCanonical = (value: unknown, seen = new Set<object>()): string => {
  if (value === null) return 'null';
  if (typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error('non-finite');
    return Object.is(value, -0) ? '0' : JSON.stringify(value);
  }
  if (typeof value !== 'object') throw new Error(typeof value);
  if (seen.has(value)) throw new Error('cycle');
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function')
    return referenceCanonical((value as { toJSON: () => unknown }).toJSON(), seen);
  seen.add(value);
  try {
    if (Array.isArray(value))
      return `[${value.map((v) => (v === undefined ? 'null' : referenceCanonical(v, seen))).join(',')}]`;
    const parts: string[] = [];
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) parts.push(`${JSON.stringify(key)}:${referenceCanonical(v, seen)}`);
    }
    return `{${parts.join(',')}}`;
  } finally {
    seen.delete(value);
  }
};

describe('canonical JSON, against the reference walk', () => {
  const values = fc.anything({
    key: anyString,
    values: [
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.constantFrom(-0, 0, 1e21, 5e-324, Number.MAX_SAFE_INTEGER),
      anyString,
      fc.boolean(),
      fc.constant(null),
      fc.constant(undefined),
      fc.date({ noInvalidDate: true }),
    ],
    maxDepth: 4,
  });

  it('gives the same bytes for any value: undefined members, -0, dates (toJSON), odd keys', () => {
    fc.assert(
      fc.property(values, (value) => {
        const outcome = (f: (v: unknown) => string) => {
          try {
            return f(value);
          } catch {
            return 'refused';
          }
        };
        expect(outcome(canonicalJson)).toBe(outcome(referenceCanonical));
      }),
      { numRuns: 2000 },
    );
  });

  it('orders any number of keys as the builtin sort does (the small-list path and the long one)', () => {
    const key = fc.oneof(
      anyString,
      fc.nat({ max: 1_000 }).map(String),
      fc.constantFrom('', '\u{1F600}', '\uFFFF'),
    );
    fc.assert(
      fc.property(fc.dictionary(key, fc.integer(), { minKeys: 0, maxKeys: 60 }), (value) => {
        expect(canonicalJson(value)).toBe(referenceCanonical(value));
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses what the reference refuses, and writes a hole in an array as null', () => {
    const shared = { a: 1 };
    expect(canonicalJson({ x: shared, y: [shared, shared] })).toBe('{"x":{"a":1},"y":[{"a":1},{"a":1}]}');
    const cyclic: unknown[] = [];
    cyclic.push({ back: cyclic });
    expect(() => canonicalJson(cyclic)).toThrow(/cycle/);
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, 1n, () => 1, Symbol('s')]) {
      expect(() => canonicalJson({ a: [bad] })).toThrow(/canonical JSON cannot encode/);
    }
    // biome-ignore lint/suspicious/noSparseArray: the hole is the point.
    expect(canonicalJson([, 1])).toBe('[null,1]');
  });
});
