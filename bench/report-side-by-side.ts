/**
 * The "side by side" section of docs/benchmarks.md: Lily and BullMQ-AOF measured in alternating
 * windows of one sitting (bench/peers/side-by-side.ts), each round's ratio, their median and
 * range. Empty when the report has no such section.
 */
import { type J, n } from './report-format.js';

const list = (xs: unknown): string => (Array.isArray(xs) ? xs.map((x) => n(x, 2)).join(', ') : '');

/** The markdown of the section, or '' without one. */
export const sideBySideSection = (side: J | undefined): string => {
  if (!side?.at64?.runsPerSec) return '';
  const rps = side.at64.runsPerSec as J;
  const cpu = side.at64.cpuMsPerRun as J;
  const one = side.oneAtATime?.p50 as J;
  const pooled = side.oneAtATime?.pooled as J;
  const range = (s: J) => `${n(s.ratioMin, 2)}–${n(s.ratioMax, 2)}`;
  return `## Side by side: both systems in alternating windows

The pipeline and the peer above are measured minutes apart, and the load of a shared machine
moves in between: four sittings on the same code gave Lily ÷ BullMQ at 64 in flight from 0.59 to
1.13. Here both systems are started at once and measured in ${n(side.rounds)} rounds of
alternating windows (Lily then BullMQ, then BullMQ then Lily, ...): a ${n(side.windowSeconds)}-second
closed loop of ${n(side.inFlight)} in flight on each, then ${n(side.runsOneAtATimePerRound)} runs one
at a time on each. Each round gives a ratio; the median and the range of the rounds are the
comparison (bench/peers/side-by-side.ts).

| W3, ${n(side.rounds)} alternating rounds | Lily (median) | BullMQ-AOF (median) | Lily ÷ BullMQ, median | range of the rounds | target |
|---|---|---|---|---|---|
| runs/s, ${n(side.inFlight)} in flight | ${n(rps.a)} | ${n(rps.b)} | ${n(rps.ratio, 2)} | ${range(rps)} | ≥ 3 |
| CPU per run at ${n(side.inFlight)} in flight, ms (every process of each) | ${n(cpu.a, 2)} | ${n(cpu.b, 2)} | ${n(cpu.ratio, 2)} | ${range(cpu)} | |
| one at a time, p50 ms of each round | ${n(one.a, 2)} | ${n(one.b, 2)} | ${n(one.ratio, 2)} | ${range(one)} | < 1 |
| one at a time, p99 ms (all rounds' runs) | ${n(pooled?.lily?.p99Ms, 2)} | ${n(pooled?.bullmq?.p99Ms, 2)} | | | Lily ≤ 6 ms |

Ratios of the rounds at ${n(side.inFlight)} in flight: ${list(rps.ratios)}; one at a time (p50): ${list(one.ratios)}.
Lily's CPU counts this process (the engine and the load client), the worker and nats-server;
BullMQ's this process (its driver, Worker and QueueEvents) and redis-server; each includes the
other system's idle timers, since both live in the bench process.
`;
};
