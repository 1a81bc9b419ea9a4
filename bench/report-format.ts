/** What bench/report.ts and bench/report-compare.ts both print: numbers, ratios, and read the JSON. */

// biome-ignore lint/suspicious/noExplicitAny: bench JSON is loosely shaped
export type J = Record<string, any>;

/** A number for a table (`—` when there is none). */
export const n = (v: unknown, digits = 0): string =>
  typeof v === 'number' && Number.isFinite(v)
    ? v.toLocaleString('en-US', { maximumFractionDigits: digits })
    : '—';

/** `a ÷ b` for a table (`—` when either is missing). */
export const ratio = (a: unknown, b: unknown, digits = 2): string =>
  typeof a === 'number' && typeof b === 'number' && b > 0 ? (a / b).toFixed(digits) : '—';

/**
 * Flushed appends on a run's chain in a pipeline section: each passes validation once (older
 * reports counted only the ends in `appendsPerRun`, which misses appends overlapped by a dispatch).
 */
export const appendsPerRunOf = (pipeline: J): number | undefined =>
  (pipeline.budget?.segments ?? []).find((x: J) => x.name === 'append: validate (zod)')?.perRun ??
  pipeline.budget?.appendsPerRun;
