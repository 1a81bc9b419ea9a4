/**
 * Measurement probe: named points on the hot path (an append's phases, the projector) that a
 * benchmark can time. Off unless a sink is installed (`setProbeSink`), and then the only cost
 * at each point is one branch. The sink reads the clock, not this module, so contracts stay
 * pure. Nothing in Lily installs a sink; `bench/budget` does (docs/benchmarks.md, latency budget).
 */

/**
 * Receives a point's name and the key it concerns (a stream name, a run id), and, for a point
 * reached elsewhere (another thread) and relayed, when it was reached (`performance.now()` of
 * this thread); the sink reads its own clock otherwise.
 */
export type ProbeSink = (point: string, key: string, at?: number) => void;

let sink: ProbeSink | undefined;

/** Installs (or, with undefined, removes) the process-wide sink. */
export const setProbeSink = (next: ProbeSink | undefined): void => {
  sink = next;
};

/** Whether a sink is installed: a thread that relays its points asks once, at its start. */
export const probing = (): boolean => sink !== undefined;

/** Marks a point. Pass strings that already exist (no template literals): it runs per event. */
export const probe = (point: string, key: string, at?: number): void => {
  if (sink !== undefined) sink(point, key, at);
};
