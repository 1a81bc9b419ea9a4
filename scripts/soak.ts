/**
 * `npm run soak [-- --minutes 10 | --quick] [--rate 8] [--in-flight 32] [--seed 7] [--keep]
 *   [--chaos on|off] [--memory-every 15]`
 *
 * Soak test of a whole deployment (docs/soak.md): a temp project, `lily up --workers 2`, mixed
 * runs (succeeding, failing, retrying, gated, partitioned, non-idempotent, council) requested
 * over the bus at a steady rate for a bounded time while a chaos loop SIGKILLs workers and the
 * engine and restarts nats-server; then it drains, stops the deployment and checks the log:
 * every run final, nothing lost, no effect duplicated, every replay verifies, receipts rebuild
 * byte-identical, engine memory and LMDB size. Every `--memory-every` seconds it samples the
 * engine's RSS and its heap after a forced GC (through the inspector: scripts/soak/memory.ts)
 * next to the number of finished runs, and the LMDB file size. Prints one JSON summary on stdout (progress on
 * stderr) and exits 1 when a run is lost, an effect duplicated, a replay fails, a request
 * started two runs (requests carry idempotency keys: it cannot, unless deduplication breaks), or
 * the deployment stalled (no run final for a minute while runs waited: scripts/soak/stall.ts,
 * which dumps where the engine was).
 * Loopback only; stops by itself; always tears the deployment down.
 */
import { mkdtempSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Bus } from '../src/actors/bus/bus.js';
import { silentLogger } from '../src/actors/logger.js';
import { connectTarget, resolveNatsTarget } from '../src/deployment/connect.js';
import { daemonAlive, managedNatsUrl } from '../src/deployment/nats-server/index.js';
import { openLilyStorage } from '../src/eventstore/storage.js';
import { loadConfig } from '../src/project/config.js';
import { projectPaths } from '../src/project/paths.js';
import { Chaos } from './soak/chaos.js';
import { checkRuns } from './soak/checks.js';
import {
  deploymentState,
  killStrays,
  lilyCli,
  memoryMb,
  recordOf,
  restartDaemon,
  sleep,
} from './soak/deployment.js';
import { analyzeEffects, parseEffects } from './soak/effects.js';
import { EFFECTS_FILE, JOB_WEIGHTS, writeSoakProject } from './soak/fixture.js';
import { generateLoad, indeterminateDispatches, RunTracker, seededRandom } from './soak/load.js';
import { inspectorEnv, type MemorySample, memoryVerdict, sampleMemory } from './soak/memory.js';
import { STALL_S, StallWatch } from './soak/stall.js';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    quick: { type: 'boolean', default: false },
    rate: { type: 'string', default: '8' },
    'in-flight': { type: 'string', default: '32' },
    seed: { type: 'string', default: '7' },
    keep: { type: 'boolean', default: false },
    chaos: { type: 'string', default: 'on' },
    'memory-every': { type: 'string', default: '15' },
  },
});
const minutes = args.quick ? 1 : Number(args.minutes);
const rate = Number(args.rate);
const maxInFlight = Number(args['in-flight']);
const seed = Number(args.seed);
const memoryEveryS = Number(args['memory-every']);
const chaosOn = args.chaos !== 'off';
if (
  ![minutes, rate, maxInFlight, seed, memoryEveryS].every(Number.isFinite) ||
  minutes <= 0 ||
  rate <= 0 ||
  maxInFlight < 1 ||
  memoryEveryS < 1 ||
  !['on', 'off'].includes(args.chaos ?? '')
) {
  console.error(
    'usage: soak.ts [--minutes n | --quick] [--rate r] [--in-flight n] [--seed s] [--keep] [--chaos on|off] [--memory-every s]',
  );
  process.exit(2);
}
/** The daemons listen for the inspector on a random loopback port (memory samples: soak/memory.ts). */
const daemonEnv = inspectorEnv();
const durationMs = minutes * 60_000;
const drainMs = args.quick ? 120_000 : 300_000;
const t0 = Date.now();
const note = (line: string) => console.error(`[soak +${Math.round((Date.now() - t0) / 1000)}s] ${line}`);
const random = seededRandom(seed);

const dir = realpathSync(mkdtempSync(join(tmpdir(), 'lily-soak-')));
const lilyRoot = join(dir, '.lily');
const effectsPath = join(dir, EFFECTS_FILE);
const readEffects = () => {
  try {
    return parseEffects(readFileSync(effectsPath, 'utf8'));
  } catch {
    return { lines: [], bad: [] };
  }
};

const enginePid = async () => recordOf(await deploymentState(lilyRoot), 'engine').pid;

/** Answers for non-idempotent dispatches whose outcome is unknown, as an operator would. */
const resolved = new Set<string>();
let indeterminateResolved = 0;
const resolveStuck = async (open: Map<string, { type: string; data: unknown }[]>, tracker: RunTracker) => {
  const effectKeys = new Set(readEffects().lines.map((l) => l.key));
  for (const [runId, events] of open) {
    if (Date.now() - (tracker.runs.get(runId)?.ackedAt ?? 0) < 20_000) continue;
    for (const dispatchId of indeterminateDispatches(events as never)) {
      if (resolved.has(dispatchId)) continue;
      resolved.add(dispatchId);
      const answer = effectKeys.has(dispatchId)
        ? ['--succeeded']
        : ['--failed', '--reason', 'soak: the effect did not happen (no line in effects.log)'];
      await lilyCli(dir, ['runs', 'resolve', runId, dispatchId, ...answer, '--by', 'soak']).then(
        () => {
          indeterminateResolved += 1;
          note(`resolved ${dispatchId} ${answer[0]}`);
        },
        (e: Error) => {
          resolved.delete(dispatchId);
          note(`resolve ${dispatchId} failed: ${e.message.split('\n')[0]}`);
        },
      );
    }
  }
};

/** Restarts any engine or worker that is not running (a chaos action cut short). */
const reviveAll = async () => {
  for (const p of (await deploymentState(lilyRoot)).processes) {
    if (!daemonAlive(p)) {
      note(`${p.id} (pid ${p.pid}) is not running: starting it again`);
      await restartDaemon(dir, lilyRoot, p.id, daemonEnv);
    }
  }
};

const waitFinal = async (tracker: RunTracker, deadline: number, minAgeMs: number) => {
  while (Date.now() < deadline) {
    const open = await tracker.reconcile(minAgeMs);
    await resolveStuck(open, tracker);
    if (tracker.pending === 0 && tracker.open.size === 0) return true;
    await sleep(1_000);
  }
  return false;
};

const main = async () => {
  await writeSoakProject(dir, import.meta.resolve('zod'));
  note(`project ${dir}; ${minutes} min, ${rate} runs/s, ${maxInFlight} in flight, seed ${seed}`);
  await lilyCli(dir, ['up', '--workers', '2'], 120_000, daemonEnv);
  deploymentUp = true;
  const paths = projectPaths(dir);
  const target = await resolveNatsTarget(paths, await loadConfig(paths.config), undefined, 'operator');
  if (!target || !(await managedNatsUrl(lilyRoot)))
    throw new Error('managed nats-server is not running after lily up');
  const bus: Bus = await connectTarget(target, 'soak', silentLogger());
  const storage = await openLilyStorage({ dir: lilyRoot });
  const tracker = new RunTracker(bus, storage.events);
  const chaos = new Chaos({
    dir,
    lilyRoot,
    random,
    intervalS: args.quick ? [8, 15] : [10, 40],
    note,
    env: daemonEnv,
  });
  await chaos.noteProcesses();

  // Warm-up, then the engine's baseline memory.
  let seq = 0;
  for (; seq < 40; seq++) void tracker.submit(seq % 2 ? 'echo3' : 'effect', seq, Date.now() + 60_000);
  await sleep(500);
  if (!(await waitFinal(tracker, Date.now() + 90_000, 0))) throw new Error('warm-up runs did not finish');
  await sleep(5_000);
  const firstEngine = await enginePid();
  const baseline = memoryMb(firstEngine);
  note(`warm-up done; engine pid ${firstEngine} idle memory ${JSON.stringify(baseline)} MB`);

  const loadStart = Date.now();
  const until = loadStart + durationMs;
  if (chaosOn) chaos.start(until, loadStart + durationMs * 0.7);
  else note('chaos off');
  let peak = baseline?.rss ?? 0;
  const series: MemorySample[] = [];
  let sampling: Promise<void> | undefined;
  const sampleNow = () => {
    sampling ??= (async () => {
      const engine = recordOf(await deploymentState(lilyRoot), 'engine');
      series.push(
        await sampleMemory({
          tS: (Date.now() - loadStart) / 1000,
          runsFinished: tracker.finished(),
          runsRequested: tracker.runs.size,
          engine: { pid: engine.pid, log: engine.log },
          lmdbFile: join(lilyRoot, 'db', 'data.mdb'),
          note,
        }),
      );
    })()
      .catch((e: Error) => note(`memory sample failed: ${e.message}`))
      .finally(() => {
        sampling = undefined;
      });
    return sampling;
  };
  await sampleNow();
  const memoryTimer = setInterval(() => void sampleNow(), memoryEveryS * 1000);
  const stallWatch = new StallWatch({ stallS: STALL_S, dumpDir: join(lilyRoot, 'logs'), note });
  const monitor = setInterval(() => {
    void (async () => {
      const engine = await deploymentState(lilyRoot)
        .then((d) => recordOf(d, 'engine'))
        .catch(() => undefined);
      const rss = memoryMb(engine?.pid ?? 0)?.rss;
      if (rss !== undefined) peak = Math.max(peak, rss);
      const open = await tracker.reconcile(5_000);
      await resolveStuck(open, tracker);
      await stallWatch.observe(
        (Date.now() - loadStart) / 1000,
        tracker.finished(),
        tracker.inFlight(),
        engine,
      );
    })().catch((e: Error) => note(`monitor: ${e.message}`));
  }, 5_000);
  const progress = setInterval(() => {
    note(
      `requested ${tracker.runs.size}, final ${tracker.finished()}, in flight ${tracker.inFlight()}, ${JSON.stringify(chaos.counts)}`,
    );
  }, 30_000);
  try {
    seq = await generateLoad(
      tracker,
      { ratePerSec: rate, maxInFlight, weights: JOB_WEIGHTS, random, until, giveUpAt: until + drainMs },
      seq,
    );
    note('load phase over: stopping chaos, draining');
    await chaos.stop();
    await reviveAll();
    if (!(await waitFinal(tracker, Date.now() + drainMs, 2_000)))
      note('drain deadline reached with runs open');
  } finally {
    clearInterval(monitor);
    clearInterval(progress);
    clearInterval(memoryTimer);
  }
  const drained = Date.now();
  await sleep(10_000); // idle: the projector catches up, the engine settles
  await sampling;
  await sampleNow();
  const lastEngine = recordOf(await deploymentState(lilyRoot), 'engine');
  const end = memoryMb(lastEngine.pid);
  const endEngineUptimeS = Math.round((Date.now() - lastEngine.startedAt) / 1000);
  await bus.close();
  await storage.close();
  await lilyCli(dir, ['down', '--grace-ms', '15000']);
  deploymentUp = false;

  const { lines, bad } = readEffects();
  const effects = analyzeEffects(lines, chaos.killedWorkerPids, chaos.workerPids);
  const findings = await checkRuns(dir, new Set(lines.map((l) => l.key)));
  const ackedNotFinal = [...tracker.runs].filter(([, r]) => r.status === undefined).map(([id]) => id);
  const lostIds = new Set([...ackedNotFinal, ...findings.notFinal.map((r) => r.runId)]);
  const summary = {
    minutes,
    seed,
    ratePerSec: rate,
    maxInFlight,
    runsStarted: findings.runsInLog,
    runsAcknowledged: tracker.runs.size,
    runsCompleted: findings.final,
    byStatus: findings.byStatus,
    lost: lostIds.size,
    duplicatedEffects: effects.duplicated.length,
    effectsMissing: findings.effectsMissing.length,
    reExecutedAfterWorkerKill: effects.reExecutedAfterKill.length,
    effectLines: effects.lines,
    malformedEffectLines: bad.length,
    indeterminateResolved,
    replayVerified: findings.replayVerified,
    replayVerificationFailures: findings.replayFailures.length,
    receiptsCompared: findings.receiptsCompared,
    receiptMismatches: findings.receiptMismatches.length,
    receiptsMissing: findings.receiptsMissing.length,
    chaos: { on: chaosOn, ...chaos.counts, failedActions: chaos.errors.length },
    requestsSent: tracker.requestsSent,
    requestsRetried: tracker.requestsRetried,
    requestsTimedOut: tracker.requestsTimedOut,
    requestErrors: tracker.requestErrors,
    requestsWithSeveralRuns: findings.seqsWithSeveralRuns,
    skippedTicksAtInFlightCap: tracker.skippedTicks,
    stalls: stallWatch.stalls,
    engineRssMb: {
      baseline: baseline?.rss,
      peak,
      end: end?.rss,
      engines: chaos.enginePids.length,
      endEngineUptimeS,
    },
    engineAnonMb: { baseline: baseline?.anon, end: end?.anon },
    engineFileMappedMb: { baseline: baseline?.file, end: end?.file },
    lmdbBytes: statSync(join(lilyRoot, 'db', 'data.mdb')).size,
    lmdbBytesPerRun: Math.round(
      statSync(join(lilyRoot, 'db', 'data.mdb')).size / Math.max(1, findings.runsInLog),
    ),
    memory: {
      everyS: memoryEveryS,
      ...memoryVerdict(series, findings.runsInLog),
      series,
    },
    eventsTotal: findings.eventsTotal,
    throughputRunsPerSec: Math.round((findings.final / ((drained - loadStart) / 1000)) * 10) / 10,
    wallSeconds: Math.round((Date.now() - t0) / 1000),
    details: {
      lost: [...lostIds].slice(0, 20),
      notFinal: findings.notFinal.slice(0, 20),
      duplicated: effects.duplicated.slice(0, 20),
      effectsMissing: findings.effectsMissing.slice(0, 20),
      replayFailures: findings.replayFailures.slice(0, 10),
      receiptMismatches: findings.receiptMismatches.slice(0, 10),
      receiptsMissing: findings.receiptsMissing.slice(0, 10),
      chaosErrors: chaos.errors.slice(0, 10),
    },
  };
  console.log(JSON.stringify(summary, null, 2));
  return summary.lost > 0 ||
    summary.duplicatedEffects > 0 ||
    summary.replayVerificationFailures > 0 ||
    summary.requestsWithSeveralRuns > 0 ||
    summary.stalls.length > 0
    ? 1
    : 0;
};

// A throw no await catches (from an event listener, say) ends the process without the `finally`
// below: the deployment's processes would outlive the soak. They are killed here, the project kept.
process.on('uncaughtException', (e) => {
  note(`soak crashed: ${e.stack ?? e}`);
  note(`killed ${killStrays(dir)} process(es) of ${dir}; kept ${dir}`);
  process.exit(1);
});

let deploymentUp = false;
let exitCode = 1;
try {
  exitCode = await main();
} catch (e) {
  note(`soak failed: ${(e as Error).stack ?? e}`);
} finally {
  if (deploymentUp) await lilyCli(dir, ['down', '--grace-ms', '5000']).catch((e: Error) => note(e.message));
  const strays = killStrays(dir);
  if (strays > 0) note(`killed ${strays} stray process(es) of ${dir}`);
  if (args.keep || exitCode !== 0) note(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
process.exit(exitCode);
