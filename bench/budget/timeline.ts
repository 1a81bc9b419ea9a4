/**
 * Records the probe points of one process (src/contracts/probe.ts: an append's phases, bus
 * publishes and deliveries, the projector) with the time each was reached, while enabled.
 * The bench installs one in its own process (engine and load client) and one in the worker
 * daemon (bench/budget/worker-probe.ts); `analyze.ts` turns them into the latency budget.
 */
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ProbeSink } from '../../src/contracts/probe.js';

type SetProbeSink = (sink: ProbeSink | undefined) => void;

const REPO_ROOT = join(import.meta.dirname, '../..');

/**
 * The built package the bench runs: `dist/`, or `LILY_BENCH_DIST` (a copy of another build under
 * the repository, so it finds node_modules: bench/ab.ts compares two builds that way).
 */
export const distDir = (): string => resolve(REPO_ROOT, process.env.LILY_BENCH_DIST || 'dist');

/**
 * Imports a module of the built package, the code `lily up` runs: the bench measures that, not
 * the TypeScript sources under a loader. `npm run bench` builds first.
 */
export const fromDist = async <M>(rel: string): Promise<M> =>
  (await import(pathToFileURL(join(distDir(), rel)).href)) as M;

/** A point reached: `t` is `performance.now()` of the process that reached it. */
export interface Point {
  t: number;
  point: string;
  key: string;
}

export class Timeline {
  #points: Point[] = [];
  #enabled = false;
  #setSink: SetProbeSink | undefined;

  /** Installs this timeline as the probe sink of dist/ in this process (disabled until `enable()`). */
  async install(): Promise<this> {
    const { setProbeSink } =
      await fromDist<typeof import('../../src/contracts/probe.js')>('contracts/probe.js');
    this.#setSink = setProbeSink;
    setProbeSink((point, key, at) => {
      if (this.#enabled) this.#points.push({ t: at ?? performance.now(), point, key });
    });
    return this;
  }

  uninstall(): void {
    this.#setSink?.(undefined);
    this.#enabled = false;
  }

  enable(on = true): void {
    this.#enabled = on;
  }

  /** A point the bench marks itself (the load client's request and completion). */
  mark(point: string, key: string): void {
    if (this.#enabled) this.#points.push({ t: performance.now(), point, key });
  }

  /** `mark` with a time taken earlier (`take` returns the points in time order). */
  markAt(point: string, key: string, t: number): void {
    if (this.#enabled) this.#points.push({ t, point, key });
  }

  /** The points recorded so far, in time order; clears them. */
  take(): Point[] {
    const out = this.#points;
    this.#points = [];
    return out.sort((a, b) => a.t - b.t);
  }
}
