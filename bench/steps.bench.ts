/**
 * What a run costs once and what each of its steps adds, in CPU of every process of the
 * pipeline (engine process, worker, nats-server), at 64 in flight: chains of 1, 3 (W3 itself)
 * and 6 `echo` steps, measured in alternating windows of one sitting (W1 W3 W6, then W6 W3 W1,
 * ...), and a straight line through the windows (step-cost.ts). The throughput target
 * sets a CPU budget per run; the line says how far the fixed and the per-step parts are from it.
 *
 * Knobs: LILY_STEPS_ROUNDS (default 4), LILY_STEPS_SECONDS (default 2.5) per window.
 */
import { closedLoopFor } from './closed-loop.js';
import { echoChainJob } from './fixtures/w3-job.js';
import { startLilyW3 } from './pipeline.bench.js';
import { cpuSecondsOf } from './proc-cpu.js';
import { type StepWindow, summarizeSteps } from './step-cost.js';

export const name = 'steps';

const ROUNDS = Number(process.env.LILY_STEPS_ROUNDS ?? 4);
const SECONDS = Number(process.env.LILY_STEPS_SECONDS ?? 2.5);
const IN_FLIGHT = 64;
const CHAINS: readonly (readonly [number, string])[] = [
  [1, 'w1'],
  [3, 'w3'],
  [6, 'w6'],
];

export const run = async (): Promise<Record<string, unknown>> => {
  const lily = await startLilyW3({ jobs: { w1: echoChainJob(1), w6: echoChainJob(6) } });
  try {
    /** CPU seconds so far: this process (engine and load client), the worker, nats-server. */
    const cpu = () => cpuSecondsOf([lily.worker.child.pid, lily.nats.pid]) as [number, number, number];
    const window = async (steps: number, jobId: string, ms: number): Promise<StepWindow> => {
      const before = cpu();
      const { runs, seconds } = await closedLoopFor(ms, IN_FLIGHT, () => lily.runner.run(jobId));
      const after = cpu();
      const per = (i: 0 | 1 | 2) => ((after[i] - before[i]) * 1000) / Math.max(1, runs);
      const [engine, worker, nats] = [per(0), per(1), per(2)];
      return {
        steps,
        runsPerSec: runs / seconds,
        cpuMsPerRun: engine + worker + nats,
        engineMsPerRun: engine,
        workerMsPerRun: worker,
        natsMsPerRun: nats,
      };
    };
    // Warm-up: every chain once, so that no window pays for the JIT or a first load of its job.
    for (const [steps, id] of CHAINS) await window(steps, id, 1500);
    const windows: StepWindow[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? CHAINS : [...CHAINS].reverse();
      for (const [steps, id] of order) {
        windows.push(await window(steps, id, SECONDS * 1000));
        process.stderr.write(`  steps: round ${round + 1}/${ROUNDS}, W${steps}\n`);
      }
    }
    return {
      inFlight: IN_FLIGHT,
      rounds: ROUNDS,
      secondsPerWindow: SECONDS,
      ...summarizeSteps(windows),
      windows: windows.map((w) => ({
        ...w,
        runsPerSec: Math.round(w.runsPerSec),
        cpuMsPerRun: Math.round(w.cpuMsPerRun * 1000) / 1000,
      })),
    };
  } finally {
    await lily.stop();
  }
};
