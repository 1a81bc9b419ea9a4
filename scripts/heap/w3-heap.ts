/**
 * What the engine and a worker keep per finished run: W3 runs (three `echo` steps) through an
 * engine in this process and a worker daemon in a child, both from dist/ (`npm run build`), on
 * a real nats-server. At each mark (finished runs) it forces a GC and writes a heap snapshot of
 * the engine (node:v8) and of the worker (SIGUSR2, `--heapsnapshot-signal`), and prints the
 * engine's heap after GC every `every` runs. Diff two snapshots with snapshot-diff.ts.
 *
 * With `LILY_HEAP_MIX=soak` the project and the jobs are the soak's (scripts/soak/fixture.ts),
 * picked in turn by their weights, instead of W3 alone.
 *
 *   node --expose-gc --import tsx scripts/heap/w3-heap.ts [out dir] [marks, e.g. 1000,4000] [in flight] [every]
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { runRequestReplySchema } from '../../src/actors/messages.js';
import { eventTypePattern, schedSubject } from '../../src/actors/subjects.js';
import type { StoredEvent } from '../../src/contracts/index.js';
import { distDir, fromDist } from '../../bench/budget/timeline.js';
import { stopChild, tempProject } from '../../test/helpers/lily-project.js';
import { startNatsServer } from '../../test/helpers/nats-server.js';
import { JOB_WEIGHTS, writeSoakProject } from '../soak/fixture.js';
import { W3_JOB as W3 } from '../../bench/fixtures/w3-job.js';

const [outArg, marksArg, inFlightArg, everyArg] = process.argv.slice(2);
const out = outArg ?? '/tmp/lily-heap';
const marks = (marksArg ?? '1000,4000').split(',').map(Number);
const inFlight = Number(inFlightArg ?? 16);
const every = Number(everyArg ?? 500);
mkdirSync(out, { recursive: true });
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

const POLICY = `default_principal: operator
principals: { operator: { capabilities: [] } }
executors: [echo]
commands: []
workspace: { allow: ["**"], deny: [] }
caps: { concurrency: 10000 }
require_dry_run: []
`;

const { startEngineProcess } = await fromDist<typeof import('../../src/deployment/engine-process.js')>(
  'deployment/engine-process.js',
);
const { connectNatsBus } =
  await fromDist<typeof import('../../src/actors/bus/index.js')>('actors/bus/index.js');
const { silentLogger } = await fromDist<typeof import('../../src/actors/logger.js')>('actors/logger.js');

const nats = await startNatsServer({});
const soakMix = process.env.LILY_HEAP_MIX === 'soak';
const project = await tempProject('lily-heap-');
if (soakMix) {
  project.remove();
  mkdirSync(project.dir);
  await writeSoakProject(project.dir, import.meta.resolve('zod'));
} else {
  project.file('policy.yaml', POLICY);
  project.job('w3', W3);
}
const jobs = soakMix ? Object.entries(JOB_WEIGHTS).flatMap(([id, w]) => Array<string>(w).fill(id)) : ['w3'];
let picked = 0;
const engine = await startEngineProcess({
  dir: project.dir,
  log: silentLogger(),
  nats: nats.url,
  cron: false,
});
const workerDir = join(out, 'worker');
mkdirSync(workerDir, { recursive: true });
const worker = spawn(
  process.execPath,
  [
    '--heapsnapshot-signal=SIGUSR2',
    join(distDir(), 'deployment/daemon-main.js'),
    'worker',
    ...['--dir', project.dir, '--nats', nats.url, '--id', 'heap', '--concurrency', '64'],
  ],
  { cwd: workerDir, stdio: ['ignore', 'ignore', 'inherit'] },
);
const client = await connectNatsBus({ servers: nats.url, name: 'heap' });
const waiting = new Map<string, () => void>();
client.subscribe(eventTypePattern('default', 'run.completed'), (m) => {
  const e = m.json() as StoredEvent;
  waiting.get(e.stream.slice(4))?.();
});
const run = async (): Promise<void> => {
  const r = await client.requestTyped(
    schedSubject('default'),
    { type: 'run.request', jobId: jobs[picked++ % jobs.length] as string },
    runRequestReplySchema,
    { timeoutMs: 30_000 },
  );
  if (!r.ok) throw new Error(r.error.message);
  await new Promise<void>((res) => waiting.set(r.runId, res));
  waiting.delete(r.runId);
};

const settle = () => new Promise((r) => setTimeout(r, 1_000));
const heapMb = () => {
  gc();
  return Math.round(process.memoryUsage().heapUsed / 10_485.76) / 100;
};
const workerSnapshot = async (name: string) => {
  const before = new Set(readdirSync(workerDir));
  worker.kill('SIGUSR2');
  for (let i = 0; i < 600; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const fresh = readdirSync(workerDir).filter((f) => !before.has(f) && f.endsWith('.heapsnapshot'));
    if (fresh[0]) {
      await new Promise((r) => setTimeout(r, 3_000)); // written in one go, give it time to close
      renameSync(join(workerDir, fresh[0]), join(out, `worker-${name}.heapsnapshot`));
      return;
    }
  }
};

try {
  for (;;) {
    try {
      await client.request('lily.default.sys.ping.worker-heap', {}, { timeoutMs: 500 });
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  let finished = 0;
  const last = Math.max(...marks);
  const series: { runs: number; heapMb: number }[] = [];
  while (finished < last) {
    const next = Math.min(...[...marks, finished + every].filter((m) => m > finished));
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (finished < next) {
          finished += 1;
          await run();
        }
      }),
    );
    await settle();
    series.push({ runs: finished, heapMb: heapMb() });
    process.stdout.write(`${JSON.stringify({ ...series.at(-1), inFlight: engine.host.inFlight() })}\n`);
    if (marks.includes(finished)) {
      writeHeapSnapshot(join(out, `engine-${finished}.heapsnapshot`));
      await workerSnapshot(String(finished));
    }
  }
  const xs = series.map((p) => p.runs);
  const ys = series.map((p) => p.heapMb * 1024);
  const mx = xs.reduce((s, x) => s + x, 0) / xs.length;
  const my = ys.reduce((s, y) => s + y, 0) / ys.length;
  const slope =
    xs.reduce((s, x, i) => s + (x - mx) * ((ys[i] as number) - my), 0) /
    xs.reduce((s, x) => s + (x - mx) ** 2, 0);
  process.stdout.write(`${JSON.stringify({ engineHeapKbPerFinishedRun: Math.round(slope * 100) / 100 })}\n`);
} finally {
  await client.close();
  await stopChild(worker);
  await engine.stop();
  await nats.stop();
  project.remove();
}
