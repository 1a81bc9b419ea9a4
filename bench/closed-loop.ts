/**
 * A closed loop bounded by time: `inFlight` lanes, each calling `once` again as soon as its call
 * ends, until `durationMs` have passed (calls under way then finish). Resolves with how many
 * calls completed and the seconds the loop took, the last calls included.
 */
export const closedLoopFor = async (
  durationMs: number,
  inFlight: number,
  once: () => Promise<unknown>,
): Promise<{ runs: number; seconds: number }> => {
  let runs = 0;
  const until = performance.now() + durationMs;
  const started = performance.now();
  const lane = async () => {
    while (performance.now() < until) {
      await once();
      runs += 1;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  return { runs, seconds: (performance.now() - started) / 1000 };
};
