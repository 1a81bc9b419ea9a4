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
