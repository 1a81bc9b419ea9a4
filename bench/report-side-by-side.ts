/**
 * The "side by side" section of docs/benchmarks.md: Lily, the floor of W3 under the design's rules
 * (bench/floor/) and BullMQ-AOF measured in alternating windows of one sitting
 * (bench/peers/side-by-side.ts), each round's ratio, their median and range. Empty when the
 * report has no such section; without the floor (an older report) its rows are left out.
 */
import { type J, n } from './report-format.js';

const list = (xs: unknown): string => (Array.isArray(xs) ? xs.map((x) => n(x, 2)).join(', ') : '');

/** The markdown of the section, or '' without one. */
export const sideBySideSection = (side: J | undefined, cores: number): string => {
  if (!side?.at64?.runsPerSec) return '';
  const rps = side.at64.runsPerSec as J;
  const cpu = side.at64.cpuMsPerRun as J;
  const one = side.oneAtATime?.p50 as J;
  const pooled = side.oneAtATime?.pooled as J;
  const range = (s: J) => `${n(s.ratioMin, 2)}–${n(s.ratioMax, 2)}`;
  const order = side.floor
    ? 'Lily, the floor, BullMQ, then BullMQ, the floor, Lily, ...; the floor is the subsection below'
    : 'Lily then BullMQ, then BullMQ then Lily, ...';
  return `## Side by side: alternating windows of one sitting

The pipeline and the peer above are measured minutes apart, and the load of a shared machine
moves in between: four sittings on the same code gave Lily ÷ BullMQ at 64 in flight from 0.59 to
1.13. Here the systems are started at once and measured in ${n(side.rounds)} rounds of
alternating windows (${order}): a ${n(side.windowSeconds)}-second
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
${floorPart(side, cores)}`;
};

/** The runs/s the floor's CPU per run would allow with every one of `cores` busy. */
const cpuCeiling = (over: J, cores: number): number => (1000 * cores) / over.cpuMsPerRun.a;

/**
 * One item for "what the numbers say" (ending in a newline): what the floor reached against the
 * peer, what its CPU would allow with every core busy, and Lily's cost over it; '' without a floor.
 */
export const floorVerdict = (side: J | undefined, cores: number): string => {
  const f = side?.floor as J | undefined;
  if (!f?.overBullmq?.runsPerSec) return '';
  const over = f.overBullmq as J;
  const ceiling = cpuCeiling(over, cores) / over.runsPerSec.b;
  return (
    `- **The floor of the design.** A W3 engine that keeps only the rules of design.md (every event fsynced ` +
    'before what depends on it is acknowledged, and republished; a sealed dispatch and a proven reply per step ' +
    `across two processes) and nothing else reached ${n(over.runsPerSec.ratio, 2)} times BullMQ's runs/s at ` +
    `${n(side?.inFlight)} in flight (rounds ${n(over.runsPerSec.ratioMin, 2)}–${n(over.runsPerSec.ratioMax, 2)}), ` +
    `at ${n(over.cpuMsPerRun.a, 2)} ms of CPU per run: with all ${n(cores)} cores busy, that CPU would allow ` +
    `${n(ceiling, 2)} times at most. One at a time its p50 was ${n(over.p50.ratio, 2)} of BullMQ's and its p99 ` +
    `${n(f.pooled?.p99Ms, 1)} ms. Lily costs ${n(f.lilyOverFloor?.cpuMsPerRun?.ratio, 2)} times the floor's CPU ` +
    `per run and takes ${n(f.lilyOverFloor?.p50?.ratio, 2)} times its p50 (decision 044).\n`
  );
};

/** The floor's rows: what the design allows on this machine, and what Lily costs on top. */
const floorPart = (side: J, cores: number): string => {
  const f = side.floor as J | undefined;
  if (!f?.overBullmq?.runsPerSec) return '';
  const over = f.overBullmq as J;
  const lily = f.lilyOverFloor as J;
  const ceiling = cpuCeiling(over, cores);
  const cell = (x: J) => `${n(x.ratio, 2)} (${n(x.ratioMin, 2)}–${n(x.ratioMax, 2)})`;
  return `
### The floor: what the design allows on this machine

The third system of these rounds is no product: it is the least an engine can do for W3 and still
keep the rules of design.md (bench/floor/skeleton.ts, tested in test/int/bench/floor.int.test.ts).
Each run's 18 events (${n(f.eventBytes)} bytes each, Lily's are about 500) are written to LMDB, a
turn's appends in one transaction, and fsynced before the request is answered or \`run.completed\`
published, then republished on their \`evt\` subjects. Each step is a dispatch to a worker in
another process and a reply: the dispatch sealed with Ed25519 (one signature for a turn's
dispatches) and verified, the reply proven with an HMAC under the dispatch's key and checked.
Dispatches leave before the commit that records them. There is no validation, policy rule,
XState, trace, job spec, receipt, retry or timer: what Lily adds on top of the rules. Its engine
is one thread that commits synchronously, as Lily's (decision 037); its CPU per run bounds any
engine, however many threads it uses. So the floor bounds what an implementation of the design can
reach on this machine, and Lily ÷ floor is Lily's own cost.

| W3, ${n(side.rounds)} alternating rounds, medians (range of the rounds) | floor | floor ÷ BullMQ | Lily ÷ floor |
|---|---|---|---|
| runs/s, ${n(side.inFlight)} in flight | ${n(over.runsPerSec.a)} | ${cell(over.runsPerSec)} | ${cell(lily.runsPerSec)} |
| CPU per run at ${n(side.inFlight)} in flight, ms (engine process, worker, nats-server) | ${n(over.cpuMsPerRun.a, 2)} | ${cell(over.cpuMsPerRun)} | ${cell(lily.cpuMsPerRun)} |
| one at a time, p50 ms of each round | ${n(over.p50.a, 2)} | ${cell(over.p50)} | ${cell(lily.p50)} |
| runs/s its CPU per run allows, every one of ${n(cores)} cores busy | ${n(ceiling)} | ${n(ceiling / over.runsPerSec.b, 2)} | |
| one at a time, p99 ms (all rounds' runs) | ${n(f.pooled?.p99Ms, 2)} | | |

Replies the floor dropped (a proof that did not hold, or no dispatch awaiting it): ${n(f.rejected)}.
`;
};
