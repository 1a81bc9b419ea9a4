/**
 * The arithmetic of a side-by-side measurement: two systems measured in alternating windows of
 * the same sitting (A B, B A, A B, ...), so that a change in the machine's load falls on both.
 * Each round gives one ratio; the median ratio and the range of the ratios say how far the
 * comparison can be trusted, where one ratio of two phases measured minutes apart cannot.
 */

/** The median of `xs` (the mean of the middle two for an even count), NaN for none. */
export const median = (xs: readonly number[]): number => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

const r2 = (x: number) => Math.round(x * 100) / 100;

export interface RoundsSummary {
  /** Median of each side's figures over the rounds. */
  a: number;
  b: number;
  /** a ÷ b of each round, in round order. */
  ratios: number[];
  /** Median and extremes of the rounds' ratios. */
  ratio: number;
  ratioMin: number;
  ratioMax: number;
}

/**
 * `a[i]` and `b[i]` were measured in round i. Rounds where either side has no figure (not a
 * positive finite number) are left out. Throws when the two lists differ in length.
 */
export const summarizeRounds = (a: readonly number[], b: readonly number[]): RoundsSummary => {
  if (a.length !== b.length) throw new Error(`rounds differ: ${a.length} against ${b.length}`);
  const ok = (x: number | undefined): x is number => x !== undefined && Number.isFinite(x) && x > 0;
  const pairs = a.flatMap((x, i) => (ok(x) && ok(b[i]) ? [[x, b[i] as number] as const] : []));
  const ratios = pairs.map(([x, y]) => r2(x / y));
  return {
    a: r2(median(pairs.map(([x]) => x))),
    b: r2(median(pairs.map(([, y]) => y))),
    ratios,
    ratio: r2(median(ratios)),
    ratioMin: ratios.length > 0 ? Math.min(...ratios) : Number.NaN,
    ratioMax: ratios.length > 0 ? Math.max(...ratios) : Number.NaN,
  };
};

/** The p-quantile (0..1) of `xs` by nearest rank, NaN for none. */
export const quantile = (xs: readonly number[], p: number): number => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))] as number;
};
