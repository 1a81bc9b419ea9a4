import { describe, expect, it } from 'vitest';
import { canonicalJson, hashJson, LilyError } from '../../src/contracts/index.js';

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops undefined properties', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: undefined }], c: null } })).toBe(
      '{"a":{"c":null,"d":[3,{"z":1}]},"b":1}',
    );
  });
  it('writes -0 as 0 and refuses non-finite numbers and cycles', () => {
    expect(canonicalJson(-0)).toBe('0');
    expect(() => canonicalJson(Number.NaN)).toThrow(LilyError);
    const a: Record<string, unknown> = {};
    a.self = a;
    expect(() => canonicalJson(a)).toThrow(/cycle/);
  });
  it('hashes equal values equally', () => {
    expect(hashJson({ x: 1, y: 2 })).toBe(hashJson({ y: 2, x: 1 }));
    expect(hashJson({ x: 1 })).toMatch(/^[0-9a-f]{64}$/);
  });
});
