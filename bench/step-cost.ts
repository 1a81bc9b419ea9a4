/**
 * The arithmetic of the step-cost bench (steps.bench.ts): chains of 1, 3 and 6 echo steps are
 * measured at the same load, and a straight line through their CPU per run splits a run's cost
 * into what every run pays once (request, launch, completion) and what each step adds
 * (dispatch, reply, the step's events). The line says how a change to either would move W3.
 */
import { median } from './side-by-side.js';

export interface Line {
  /** The value at x = 0 (for CPU per run: what a run costs with no step). */
  intercept: number;
  /** What each unit of x adds (for CPU per run: one step). */
  slope: number;
  /** Share of the variance the line explains (1 for points on the line; NaN when y never varies). */
  r2: number;
}

/**
 * The least-squares line through `points` ([x, y]). Throws when fewer than two distinct x are
 * given (no line is defined) or when a value is not finite.
 */
export const fitLine = (points: readonly (readonly [number, number])[]): Line => {
  for (const [x, y] of points) {
    if (!Number.isFinite(x) || !Number.isFinite(y)) throw new Error(`not a finite point: ${x}, ${y}`);
  }
  if (new Set(points.map(([x]) => x)).size < 2) throw new Error('a line needs two distinct x');
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
    syy += (y - my) ** 2;
  }
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  const residual = points.reduce((s, [x, y]) => s + (y - (intercept + slope * x)) ** 2, 0);
  return { intercept, slope, r2: syy === 0 ? Number.NaN : 1 - residual / syy };
};

/** One window of the bench: a chain of `steps` steps, run at the bench's load. */
export interface StepWindow {
  steps: number;
  runsPerSec: number;
  /** CPU per run, ms, of every process of the pipeline (engine process, worker, nats-server). */
  cpuMsPerRun: number;
  /** The same, per process. */
  engineMsPerRun: number;
  workerMsPerRun: number;
  natsMsPerRun: number;
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * The medians of each chain's windows, and the lines through every window (not through the
 * medians, so that the spread of the rounds weighs in): CPU per run in all, and per process.
 */
export const summarizeSteps = (windows: readonly StepWindow[]) => {
  const chains = [...new Set(windows.map((w) => w.steps))].sort((a, b) => a - b);
  const per = (pick: (w: StepWindow) => number) => {
    const line = fitLine(windows.map((w) => [w.steps, pick(w)] as const));
    return { fixedMs: r3(line.intercept), perStepMs: r3(line.slope), r2: r3(line.r2) };
  };
  return {
    chains: chains.map((steps) => {
      const of = windows.filter((w) => w.steps === steps);
      const m = (pick: (w: StepWindow) => number) => median(of.map(pick));
      return {
        steps,
        windows: of.length,
        runsPerSec: Math.round(m((w) => w.runsPerSec)),
        cpuMsPerRun: r3(m((w) => w.cpuMsPerRun)),
        engineMsPerRun: r3(m((w) => w.engineMsPerRun)),
        workerMsPerRun: r3(m((w) => w.workerMsPerRun)),
        natsMsPerRun: r3(m((w) => w.natsMsPerRun)),
      };
    }),
    cpu: per((w) => w.cpuMsPerRun),
    engine: per((w) => w.engineMsPerRun),
    worker: per((w) => w.workerMsPerRun),
    nats: per((w) => w.natsMsPerRun),
  };
};

/**
 * CPU per run a 3-step run may cost for `cores` cores to reach `runsPerSec`, every core busy
 * with nothing else: the budget a throughput target sets.
 */
export const cpuBudgetMsPerRun = (runsPerSec: number, cores: number): number => (cores * 1000) / runsPerSec;
