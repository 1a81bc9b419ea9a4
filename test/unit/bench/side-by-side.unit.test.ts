import { describe, expect, it } from 'vitest';
import { quantile, summarizeRounds } from '../../../bench/side-by-side.js';

describe('side-by-side rounds', () => {
  it('gives each round its ratio, their median and range, and each side its median', () => {
    const s = summarizeRounds([600, 700, 650], [1500, 1400, 1300]);
    expect(s.ratios).toEqual([0.4, 0.5, 0.5]);
    expect(s.ratio).toBe(0.5);
    expect([s.ratioMin, s.ratioMax]).toEqual([0.4, 0.5]);
    expect([s.a, s.b]).toEqual([650, 1400]);
  });

  it('takes the mean of the middle two for an even number of rounds', () => {
    const s = summarizeRounds([1, 2, 3, 4], [1, 1, 1, 1]);
    expect(s.ratio).toBe(2.5);
    expect(s.a).toBe(2.5);
  });

  it('leaves out a round where either side has no figure, and says when there is none', () => {
    const s = summarizeRounds([600, Number.NaN, 0, 650], [1200, 1300, 1300, Number.NaN]);
    expect(s.ratios).toEqual([0.5]);
    const none = summarizeRounds([], []);
    expect(Number.isNaN(none.ratio) && Number.isNaN(none.ratioMin) && Number.isNaN(none.a)).toBe(true);
  });

  it('refuses rounds of different lengths', () => {
    expect(() => summarizeRounds([1, 2], [1])).toThrow(/rounds differ/);
  });

  it('takes quantiles by nearest rank', () => {
    const xs = [5, 1, 4, 2, 3];
    expect(quantile(xs, 0.5)).toBe(3);
    expect(quantile(xs, 0.99)).toBe(5);
    expect(quantile(xs, 0)).toBe(1);
    expect(Number.isNaN(quantile([], 0.5))).toBe(true);
  });
});
