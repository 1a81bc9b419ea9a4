/**
 * Worker builds A and B side by side, each the worker daemon alone (with bench/budget/worker-probe.ts
 * preloaded) on its own nats-server, driven by a stand-in engine: sealed `echo` dispatches
 * published on `cmd.exec.echo` (one item per message, as the engine sends them), every reply
 * screened as the run host screens it (proof, kind, run). Phases alternate between A and B
 * (A B, B A, ...) so the machine's load falls on both; reports per side the one-at-a-time
 * dispatch round trip, dispatches/s at N in flight and the worker's CPU per dispatch (from
 * /proc), with a CPU profile of each worker's last phase (bench/budget/profile-summary.ts).
 *
 *   npx tsx bench/worker-harness.ts <dist A> <dist B> [rounds] [seconds] [inFlight] [profile dir]
 *
 * The driver runs from LILY_BENCH_DIST (default dist/). Builds must live under the repository
 * (bench/.ab/a/dist, ...) to find node_modules.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { REPO_ROOT, stopChild, tempProject } from '../test/helpers/lily-project.js';
import { type NatsServerHandle, startNatsServer } from '../test/helpers/nats-server.js';
import { summarizeProfileFile } from './budget/profile-summary.js';
import { fromDist } from './budget/timeline.js';

const [distA, distB, roundsArg, secondsArg, inFlightArg, profileDir] = process.argv.slice(2);
if (!distA || !distB) {
  process.stderr.write(
    'usage: tsx bench/worker-harness.ts <dist A> <dist B> [rounds] [seconds] [inFlight]\n',
  );
  process.exit(2);
}
const rounds = Number(roundsArg ?? 4);
const seconds = Number(secondsArg ?? 2);
const inFlight = Number(inFlightArg ?? 64);

const cpuSeconds = (pid: number | undefined): number => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * p)] ?? 0;
const median = (xs: number[]) => pct(xs, 0.5);
const r2 = (n: number) => Math.round(n * 100) / 100;

const { connectNatsBus } = await fromDist<typeof import('../src/actors/bus/index.js')>('actors/bus/index.js');
const { loadOrCreateEngineKeys } = await fromDist<typeof import('../src/actors/trust/engine-keys.js')>(
  'actors/trust/engine-keys.js',
);
const { EngineSeals, emptySealBook } = await fromDist<typeof import('../src/actors/trust/engine-seals.js')>(
  'actors/trust/engine-seals.js',
);
const { createUlidGenerator } = await fromDist<typeof import('../src/eventstore/system-ports.js')>(
  'eventstore/system-ports.js',
);
const ids = createUlidGenerator();

const POLICY = `default_principal: operator
principals: { operator: { capabilities: [] } }
executors: [echo]
commands: []
workspace: { allow: ["**"], deny: [] }
require_dry_run: []
`;

interface Side {
  name: string;
  nats: NatsServerHandle;
  project: Awaited<ReturnType<typeof tempProject>>;
  worker: ChildProcess;
  dispatch(): Promise<void>;
  ask(msg: object, answer: string): Promise<void>;
  close(): Promise<void>;
  refused: number;
  latencies: number[];
  phases: { perSec: number; cpuUs: number }[];
}

const startSide = async (name: string, dist: string): Promise<Side> => {
  const nats = await startNatsServer({});
  const project = await tempProject(`lily-worker-harness-${name}-`);
  project.file('policy.yaml', POLICY);
  const seals = new EngineSeals(await loadOrCreateEngineKeys(join(project.dir, '.lily', 'keys')));
  const worker = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--import',
      join(REPO_ROOT, 'bench/budget/worker-probe.ts'),
      join(resolve(REPO_ROOT, dist), 'deployment/daemon-main.js'),
      'worker',
      ...['--dir', project.dir, '--nats', nats.url, '--id', 'harness', '--concurrency', '256'],
    ],
    { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] },
  );
  const bus = await connectNatsBus({ servers: nats.url, name: `harness-${name}` });
  const waiting = new Map<string, () => void>();
  const book = emptySealBook();
  const side: Side = {
    name,
    nats,
    project,
    worker,
    refused: 0,
    latencies: [],
    phases: [],
    dispatch: () => {
      const runId = ids.runId();
      const dispatchId = `${runId}/a/1`;
      const item = seals.seal(
        {
          kind: 'step',
          runId,
          jobId: 'w3',
          data: {
            dispatchId,
            stepId: 'a',
            attempt: 1,
            executor: 'echo',
            input: { a: 1, nested: { list: [1, 2, 3], text: 'hello' } },
            idempotent: true,
            dryRun: false,
            with: { value: { a: 1 } },
          },
        },
        book,
        false,
        Date.now(),
      );
      return new Promise<void>((res) => {
        waiting.set(dispatchId, () => {
          waiting.delete(dispatchId);
          res();
        });
        bus.publish('lily.default.cmd.exec.echo', { items: [item] });
      });
    },
    ask: (msg, answer) =>
      new Promise<void>((res) => {
        const on = (m: { type: string }) => {
          if (m.type !== answer) return;
          worker.off('message', on);
          res();
        };
        worker.on('message', on);
        worker.send(msg);
      }),
    close: async () => {
      await stopChild(worker);
      await bus.close();
      await nats.stop();
      project.remove();
    },
  };
  bus.subscribe('lily.default.in.>', (m) => {
    const msg = m.json() as { runId: string; events: { id: string; type: string; data: unknown }[] };
    for (const e of msg.events) {
      if (!seals.screen(msg.runId, e as never).ok) side.refused += 1;
      if (e.type === 'step.succeeded') waiting.get((e.data as { dispatchId: string }).dispatchId)?.();
    }
  });
  for (;;) {
    try {
      await bus.request('lily.default.sys.ping.worker-harness', {}, { timeoutMs: 500 });
      return side;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
};

const sequential = async (side: Side, n: number) => {
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await side.dispatch();
    side.latencies.push(performance.now() - t);
  }
};

const loaded = async (side: Side, profile?: string) => {
  if (profile) await side.ask({ type: 'profile.start', intervalUs: 250 }, 'profile.started');
  const cpu0 = cpuSeconds(side.worker.pid);
  let done = 0;
  const t0 = performance.now();
  const until = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < until) {
        await side.dispatch();
        done += 1;
      }
    }),
  );
  const wall = (performance.now() - t0) / 1000;
  side.phases.push({
    perSec: Math.round(done / wall),
    cpuUs: Math.round(((cpuSeconds(side.worker.pid) - cpu0) * 1e6) / done),
  });
  if (profile) {
    await side.ask({ type: 'profile.stop', file: profile }, 'profile.written');
    const s = summarizeProfileFile(profile);
    return {
      busyUsPerDispatch: Math.round((s.busyMs * 1000) / done),
      byCategory: s.byCategory.slice(0, 8).map((c) => `${c.name} ${c.pctBusy}%`),
      byLilyDir: s.byLilyDir.slice(0, 6).map((c) => `${c.name} ${c.pctBusy}%`),
      top: s.topFunctions.slice(0, 20).map((f) => `${f.pctBusy}% ${f.name} ${f.where}`),
    };
  }
  return undefined;
};

const sides = [await startSide('A', distA), await startSide('B', distB)];
try {
  for (const s of sides) await sequential(s, 300);
  for (const s of sides) s.latencies.length = 0;
  const profiles: Record<string, unknown> = {};
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? sides : [...sides].reverse();
    for (const s of order) await sequential(s, 50);
    for (const s of order) {
      const last = r === rounds - 1 && profileDir !== undefined;
      const p = await loaded(s, last ? join(profileDir, `worker-${s.name}.cpuprofile`) : undefined);
      if (p) profiles[s.name] = p;
    }
  }
  const out = sides.map((s) => ({
    side: s.name,
    oneAtATimeP50Ms: r2(median(s.latencies)),
    oneAtATimeP90Ms: r2(pct(s.latencies, 0.9)),
    dispatchesPerSec: s.phases.map((p) => p.perSec),
    workerCpuUsPerDispatch: s.phases.map((p) => p.cpuUs),
    medianPerSec: median(s.phases.map((p) => p.perSec)),
    medianCpuUs: median(s.phases.map((p) => p.cpuUs)),
    refusedReplies: s.refused,
    profile: profiles[s.name],
  }));
  process.stdout.write(`${JSON.stringify(out, null, 1)}\n`);
} finally {
  for (const s of sides) await s.close();
}
