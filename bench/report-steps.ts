/**
 * The "cost per run and per step" section of docs/benchmarks.md (bench/steps.bench.ts): W1, W3
 * and W6 at 64 in flight, the line through their CPU per run, and what the throughput target
 * leaves a run to spend. Empty when the report has no such section.
 */
import { type J, n } from './report-format.js';
import { cpuBudgetMsPerRun } from './step-cost.js';

/**
 * The markdown of the section, or '' without one. `peerRunsPerSec` is BullMQ-AOF's W3 runs/s at
 * 64 in flight in the same sitting (for the target's budget), `cores` the machine's.
 */
export const stepsSection = (
  steps: J | undefined,
  peerRunsPerSec: number | undefined,
  cores: number,
): string => {
  if (!steps?.cpu || !Array.isArray(steps.chains)) return '';
  const rows = (steps.chains as J[])
    .map(
      (c) =>
        `| W${n(c.steps)} | ${n(c.runsPerSec)} | ${n(c.cpuMsPerRun, 2)} | ${n(c.engineMsPerRun, 2)} | ${n(c.workerMsPerRun, 2)} | ${n(c.natsMsPerRun, 2)} |`,
    )
    .join('\n');
  const line = (l: J) => `${n(l.fixedMs, 2)} + ${n(l.perStepMs, 2)} × steps (r² ${n(l.r2, 2)})`;
  const w3 = (steps.cpu.fixedMs as number) + 3 * (steps.cpu.perStepMs as number);
  const target = peerRunsPerSec ? 3 * peerRunsPerSec : undefined;
  const budget = target ? cpuBudgetMsPerRun(target, cores) : undefined;
  const perStepLeft = (b: number) => (b - (steps.cpu.fixedMs as number)) / 3;
  const verdict =
    budget === undefined
      ? ''
      : `

Three times BullMQ-AOF's ${n(peerRunsPerSec)} runs/s of this sitting is ${n(target)} runs/s. On
${n(cores)} cores, every core busy with nothing else, that leaves a W3 run ${n(budget, 2)} ms of CPU
for all its processes. The line gives W3 ${n(w3, 2)} ms: ${n(w3 / budget, 1)} times the budget.
${
  (steps.cpu.fixedMs as number) >= budget
    ? `What a run costs before its first step (${n(steps.cpu.fixedMs, 2)} ms) is already over it, so no cut to the steps alone reaches the target.`
    : `With its fixed part as it is (${n(steps.cpu.fixedMs, 2)} ms), each of W3's 3 steps could cost at most ${n(perStepLeft(budget), 3)} ms, ${n((steps.cpu.perStepMs as number) / perStepLeft(budget), 0)} times less than now.`
} Each step costs ${n(steps.cpu.perStepMs, 2)} ms: a dispatch sealed and sent, a reply proven and screened, its five events
(\`policy.requested\`, \`policy.decided\`, \`step.dispatched\`, \`step.started\`, \`step.succeeded\`)
validated, written, flushed, republished and folded, and the worker's side of it. Events are the
cheap part: a build that recorded three events per step instead of five took about 5 % off a step
(decision 043). The dispatch and the reply, with their seal, proof and decision, are the rest.`;
  return `## What a run costs once and what each step adds

Chains of 1, 3 (W3 itself) and 6 \`echo\` steps, at ${n(steps.inFlight)} in flight, in ${n(steps.rounds)} rounds of
alternating ${n(steps.secondsPerWindow, 1)}-second windows of one sitting (bench/steps.bench.ts). CPU per run, ms,
medians of the windows; the engine's process also holds the load client.

| chain | runs/s | CPU per run, every process | engine process | worker | nats-server |
|---|---|---|---|---|---|
${rows}

A straight line through every window, CPU per run in ms: all processes ${line(steps.cpu)}; the
engine's process ${line(steps.engine)}; the worker ${line(steps.worker)}; nats-server ${line(steps.nats)}.${verdict}
`;
};
