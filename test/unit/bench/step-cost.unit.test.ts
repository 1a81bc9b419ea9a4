import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cpuBudgetMsPerRun, fitLine, type StepWindow, summarizeSteps } from '../../../bench/step-cost.js';

const close = (a: number, b: number, eps = 1e-6) =>
  Math.abs(a - b) <= eps * Math.max(1, Math.abs(a), Math.abs(b));

describe('step cost', () => {
  it('recovers any line from points on it, and explains all of their variance', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -100, max: 100, noNaN: true }),
        fc.double({ min: 0.01, max: 100, noNaN: true }),
        fc.uniqueArray(fc.integer({ min: 0, max: 50 }), { minLength: 2, maxLength: 8 }),
        (a, b, xs) => {
          const line = fitLine(xs.map((x) => [x, a + b * x] as const));
          expect(close(line.intercept, a, 1e-6)).toBe(true);
          expect(close(line.slope, b, 1e-6)).toBe(true);
          expect(close(line.r2, 1, 1e-9)).toBe(true);
        },
      ),
    );
  });

  it('fits the least-squares line through scattered points', () => {
    // y = 1 + 2x with residuals -1, +1, +1, -1 around it at x = 0..3.
    const line = fitLine([
      [0, 0],
      [1, 4],
      [2, 6],
      [3, 6],
    ]);
    expect(line.slope).toBeCloseTo(2, 9);
    expect(line.intercept).toBeCloseTo(1, 9);
    expect(line.r2).toBeCloseTo(1 - 4 / 24, 9);
  });

  it('refuses points that define no line, or values that are not numbers', () => {
    expect(() =>
      fitLine([
        [3, 1],
        [3, 2],
      ]),
    ).toThrow(/two distinct x/);
    expect(() =>
      fitLine([
        [1, Number.NaN],
        [2, 1],
      ]),
    ).toThrow(/finite/);
  });

  it('splits the windows of three chains into a cost per run and a cost per step', () => {
    const w = (steps: number, cpu: number, rps: number): StepWindow => ({
      steps,
      runsPerSec: rps,
      cpuMsPerRun: cpu,
      engineMsPerRun: cpu * 0.75,
      workerMsPerRun: cpu * 0.2,
      natsMsPerRun: cpu * 0.05,
    });
    const s = summarizeSteps([
      w(1, 1.2, 1500),
      w(3, 2.4, 800),
      w(6, 3.9, 400),
      w(6, 4.1, 420),
      w(3, 2.4, 700),
      w(1, 1.2, 1400),
    ]);
    expect(s.chains.map((c) => [c.steps, c.windows, c.runsPerSec, c.cpuMsPerRun])).toEqual([
      [1, 2, 1450, 1.2],
      [3, 2, 750, 2.4],
      [6, 2, 410, 4],
    ]);
    expect(s.cpu.perStepMs).toBeCloseTo(0.56, 2);
    expect(s.cpu.fixedMs).toBeCloseTo(0.674, 2);
    expect(s.engine.perStepMs).toBeCloseTo(s.cpu.perStepMs * 0.75, 2);
  });

  it('gives the CPU a run may cost to reach a rate on some cores', () => {
    expect(cpuBudgetMsPerRun(4000, 2)).toBe(0.5);
  });
});
