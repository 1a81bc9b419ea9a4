/**
 * Measurement probe: named points on the hot path (an append's phases, the projector) that a
 * benchmark can time. Off unless a sink is installed (`setProbeSink`), and then the only cost
 * at each point is one branch. The sink reads the clock, not this module, so contracts stay
 * pure. Nothing in Lily installs a sink; `bench/budget` does (docs/benchmarks.md, latency budget).
 */

/** Receives a point's name and the key it concerns (a stream name, a run id). */
export type ProbeSink = (point: string, key: string) => void;

let sink: ProbeSink | undefined;

/** Installs (or, with undefined, removes) the process-wide sink. */
export const setProbeSink = (next: ProbeSink | undefined): void => {
  sink = next;
};

/** Marks a point. Pass strings that already exist (no template literals): it runs per event. */
export const probe = (point: string, key: string): void => {
  if (sink !== undefined) sink(point, key);
};
