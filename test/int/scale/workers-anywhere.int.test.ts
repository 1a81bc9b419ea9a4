/**
 * Workers anywhere, on three "machines": network namespaces joined by a bridge, one node of a
 * 3-node JetStream cluster in each, the engine in the first and a worker in each of the others.
 * Every process has its own temp directory and its own credential; nothing passes through a
 * shared disk (the test reads the engine's log as its operator would, from the engine's side).
 *
 * - 50 runs of a job whose command steps write effects into the worker's own directory and
 *   artifacts (their stdout) complete; one NATS node is killed mid-way and none is lost;
 * - every effect happens once per dispatch id, counted in each worker's directory;
 * - every artifact is readable from the engine's store, same hash and provenance;
 * - a worker SIGKILLed mid-step: its idempotent step is retried on the other worker, its
 *   non-idempotent step becomes indeterminate.
 *
 * Skipped, with the reason, where namespaces cannot be made (not root, not Linux).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bus } from '../../../src/actors/bus/bus.js';
import { connectNatsBus } from '../../../src/actors/bus/nats-bus.js';
import { schedSubject } from '../../../src/actors/subjects.js';
import type { Plan } from '../../../src/blueprints/plan.js';
import type { ArtifactRef, RunId, StoredEvent } from '../../../src/contracts/index.js';
import { describeCredential } from '../../../src/deployment/nats-auth/creds.js';
import { type LilyStorage, openLilyStorage } from '../../../src/eventstore/storage.js';
import { createRunProgram, replay } from '../../../src/machines/index.js';
import {
  answering,
  CRASH_POLICY,
  runEvents,
  sleep,
  streamProblems,
  waitUntil,
} from '../../helpers/crash-kit.js';
import { projectTrust } from '../../helpers/lily-cluster.js';
import { REPO_ROOT, stopChild, tempProject } from '../../helpers/lily-project.js';
import { type NatsClusterHandle, startNatsCluster } from '../../helpers/nats-cluster.js';
import { createNetns, type Netns, netnsUnavailable } from '../../helpers/netns.js';

const unavailable = netnsUnavailable();
const RUNS = 50;

/** Records `<dispatch>` in effects.log of the directory it runs in, prints a line naming it. */
const effect = `const id = [process.env.LILY_RUN_ID, process.env.LILY_STEP_ID, process.env.LILY_ATTEMPT].join('/'); require('fs').appendFileSync('effects.log', id + String.fromCharCode(10)); console.log('made by ' + id)`;
/** The same, then on attempt 1 records its pid and hangs (its worker is killed under it). */
const hangFirst = `${effect}; if (process.env.LILY_ATTEMPT === '1') { require('fs').appendFileSync('hung.pids', process.pid + String.fromCharCode(10)); setTimeout(() => {}, 60000) }`;

const JOBS: Record<string, string> = {
  work: `id: work
title: two steps with effects, the second not idempotent
target: { kind: blueprint, id: pipeline.v1 }
runtime: { timeout_ms: 300000, concurrency: 64 }
bindings:
  steps:
    - { id: a, run: [node, -e, "${effect}"], timeout_ms: 60000, retries: 2, backoff_ms: 100 }
    - { id: b, run: [node, -e, "${effect}"], timeout_ms: 60000, idempotent: false }
`,
  'hang-idem': `id: hang-idem
title: an idempotent step whose worker dies
target: { kind: blueprint, id: pipeline.v1 }
runtime: { timeout_ms: 300000 }
bindings:
  steps:
    - { id: s, run: [node, -e, "${hangFirst}"], timeout_ms: 8000, retries: 2, backoff_ms: 100 }
`,
  'hang-nonidem': `id: hang-nonidem
title: a non-idempotent step whose worker dies
target: { kind: blueprint, id: pipeline.v1 }
runtime: { timeout_ms: 300000 }
bindings:
  steps:
    - { id: s, run: [node, -e, "${hangFirst}"], timeout_ms: 8000, idempotent: false }
`,
};

interface RemoteWorkerProc {
  id: string;
  dir: string;
  child: ChildProcess;
  log: () => string;
}

let net: Netns | undefined;
let cluster: NatsClusterHandle | undefined;
let project: Awaited<ReturnType<typeof tempProject>> | undefined;
let engine: ChildProcess | undefined;
let operator: Bus | undefined;
let storage: LilyStorage | undefined;
let urls = '';
const workers: RemoteWorkerProc[] = [];
const dirs: string[] = [];
let writeWorkerCreds: (file: string) => Promise<string>;

const spawnIn = (i: number, argv: string[]): { child: ChildProcess; log: () => string } => {
  const host = (net as Netns).hosts[i];
  if (!host) throw new Error(`no namespace ${i}`);
  const [cmd, ...args] = host.wrap(argv);
  const child = spawn(cmd as string, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (c: Buffer) => {
    out = (out + c.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { child, log: () => out };
};

/** `lily worker --nats <cluster> --creds <its dir>/w.creds --dir <its dir>` in namespace `i`. */
const startWorker = async (i: number, id: string, dir: string): Promise<RemoteWorkerProc> => {
  const creds = join(dir, 'w.creds');
  if (!existsSync(creds)) await writeWorkerCreds(creds);
  const { child, log } = spawnIn(i, [
    process.execPath,
    '--import',
    'tsx',
    join(REPO_ROOT, 'src/cli/main.ts'),
    'worker',
    '--nats',
    urls,
    '--creds',
    creds,
    '--dir',
    dir,
    '--id',
    id,
  ]);
  const w = { id, dir, child, log };
  workers.push(w);
  await answering(operator as Bus, `worker-${id}`).catch((e: Error) => {
    throw new Error(`${e.message}\n${log()}`);
  });
  return w;
};

const submit = async (jobId: string): Promise<RunId> => {
  // A node may be failing over: the request is retried until the engine answers.
  return waitUntil(
    `run of ${jobId} accepted`,
    async () => {
      try {
        const reply = (await (operator as Bus).request(
          schedSubject('default'),
          { type: 'run.request', jobId },
          { timeoutMs: 5_000 },
        )) as { json(): { ok: boolean; runId?: string } };
        const r = reply.json();
        return r.ok ? (r.runId as RunId) : undefined;
      } catch {
        return undefined;
      }
    },
    60_000,
  );
};

const events = (runId: RunId) => runEvents((storage as LilyStorage).events, runId);
/** Waits for a run's `run.completed`; a timeout names the run's last events and the daemons' last log lines. */
const completed = async (runId: RunId, timeoutMs = 180_000) =>
  waitUntil(
    `run ${runId} completed`,
    async () => {
      const ev = await events(runId);
      return ev.some((e) => e.type === 'run.completed') ? ev : undefined;
    },
    timeoutMs,
  ).catch(async (e: Error) => {
    const last = (await events(runId)).slice(-6).map((x) => ({ type: x.type, at: x.at, data: x.data }));
    const engineLog = readFileSync(join((project as { dir: string }).dir, '.lily/logs/engine.log'), 'utf8');
    const tails = workers.map((w) => `worker ${w.id}:\n${w.log().slice(-3_000)}`).join('\n');
    // The engine's connection events, warnings and errors over the whole test, not only its tail.
    const notable = engineLog
      .split('\n')
      .filter((l) => /"level":(40|50|60)|"event":"bus\./.test(l))
      .slice(-40)
      .join('\n');
    throw new Error(
      `${e.message}\nlast events: ${JSON.stringify(last).slice(0, 4_000)}\nengine log:\n${engineLog.slice(-4_000)}\nengine warnings, errors and connection events:\n${notable.slice(-8_000)}\n${tails}`,
    );
  });
const effectsIn = (dir: string): string[] =>
  existsSync(join(dir, 'effects.log'))
    ? readFileSync(join(dir, 'effects.log'), 'utf8').split('\n').filter(Boolean)
    : [];
const dataOf = <T>(e: StoredEvent | undefined) => e?.data as T;

beforeAll(async () => {
  if (unavailable) return;
  net = await createNetns(3);
  project = await tempProject('lily-scale-engine-');
  dirs.push(project.dir);
  project.file('policy.yaml', CRASH_POLICY);
  for (const [id, yaml] of Object.entries(JOBS)) project.job(id, yaml);
  const trust = await projectTrust(project.dir);
  writeWorkerCreds = (file) => trust.writeCreds('worker', file);
  cluster = await startNatsCluster({
    nodes: net.hosts.map((h) => ({ host: h.ip, wrap: h.wrap })),
    extraConfig: trust.serverConfig,
  });
  urls = cluster.urls.join(',');
  await trust.writeCreds('engine', join(project.dir, 'engine.creds'));
  writeFileSync(
    join(project.dir, '.lily', 'config.yaml'),
    `namespace: default\nnats:\n  url: ${urls}\n  creds:\n    engine: ./engine.creds\nledger: nats\nworkers: 0\n`,
  );
  const operatorCreds = await trust.writeCreds('operator', join(project.dir, 'operator.creds'));
  operator = await connectNatsBus({
    servers: cluster.urls,
    credentials: operatorCreds,
    inboxPrefix: describeCredential(operatorCreds, 'operator').inboxPrefix,
    name: 'test-operator',
  });
  const e = spawnIn(0, [
    process.execPath,
    '--import',
    'tsx',
    join(REPO_ROOT, 'src/deployment/daemon-main.ts'),
    'engine',
    '--dir',
    project.dir,
  ]);
  engine = e.child;
  await answering(operator, 'engine').catch(() => {
    throw new Error(
      readFileSync(join(project?.dir as string, '.lily/logs/engine.log'), 'utf8').slice(-4_000),
    );
  });
  storage = await openLilyStorage({ dir: join(project.dir, '.lily') });
  const gitDir = mkdtempSync(join(tmpdir(), 'lily-scale-worker-a-'));
  execFileSync('git', ['init', '-q', gitDir]);
  execFileSync('git', [
    '-C',
    gitDir,
    '-c',
    'user.name=t',
    '-c',
    'user.email=t@t',
    'commit',
    '-q',
    '--allow-empty',
    '-m',
    'w',
  ]);
  dirs.push(gitDir, mkdtempSync(join(tmpdir(), 'lily-scale-worker-b-')));
  await startWorker(1, 'a', gitDir);
  await startWorker(2, 'b', dirs[2] as string);
}, 180_000);

afterAll(async () => {
  for (const w of workers) await stopChild(w.child, 'SIGTERM', 10_000);
  if (engine) await stopChild(engine, 'SIGTERM', 15_000);
  // Steps left hanging by a killed worker (their pids recorded by the step itself).
  for (const dir of dirs) {
    const pids = existsSync(join(dir, 'hung.pids')) ? readFileSync(join(dir, 'hung.pids'), 'utf8') : '';
    for (const pid of pids.split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  await operator?.close();
  await storage?.close();
  await cluster?.stop();
  await net?.cleanup();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}, 120_000);

describe.skipIf(unavailable !== undefined)(
  `workers in other network namespaces on a 3-node cluster${unavailable ? ` (skipped: ${unavailable})` : ''}`,
  () => {
    it(`${RUNS} runs complete across a NATS node dying; each effect once per dispatch id; every artifact on the engine's side`, async () => {
      const runIds: RunId[] = [];
      for (let i = 0; i < RUNS / 2; i++) runIds.push(await submit('work'));
      await waitUntil(
        'a few runs done',
        async () => {
          let done = 0;
          for (const id of runIds) if ((await events(id)).some((e) => e.type === 'run.completed')) done++;
          return done >= 8 ? true : undefined;
        },
        120_000,
      );
      // Kill the node the engine is connected to: it must reconnect to another and go on.
      const engineLog = () =>
        readFileSync(join((project as { dir: string }).dir, '.lily/logs/engine.log'), 'utf8');
      const server = /"event":"bus\.connected"[^\n]*"server":"([^"]+)"/.exec(engineLog())?.[1];
      const victimNode = (cluster as NatsClusterHandle).nodes.findIndex((n) =>
        server?.endsWith(`${n.host}:${n.port}`),
      );
      expect(victimNode, `engine connected to ${server}`).toBeGreaterThanOrEqual(0);
      await cluster?.killNode(victimNode);
      for (let i = RUNS / 2; i < RUNS; i++) runIds.push(await submit('work'));
      const all = new Map<RunId, StoredEvent[]>();
      for (const id of runIds) all.set(id, await completed(id));
      expect(engineLog()).toContain('"event":"bus.reconnected"');
      await cluster?.startNode(victimNode);
      // The ledger and the artifact buckets were made with three replicas on this cluster.
      const ping = await (operator as Bus).request('lily.default.sys.ping.engine', {}, { timeoutMs: 5_000 });
      expect((ping.json() as { details: unknown }).details).toMatchObject({ ledger: 'nats', replicas: 3 });

      const succeeded: StoredEvent[] = [];
      for (const [id, ev] of all) {
        const why = JSON.stringify(
          ev
            .filter((e) => /failed|indeterminate|run\.completed/.test(e.type))
            .map((e) => ({ type: e.type, data: e.data })),
        ).slice(0, 3_000);
        expect(
          dataOf<{ status: string }>(ev.find((e) => e.type === 'run.completed')),
          `${id}: ${why}`,
        ).toMatchObject({
          status: 'succeeded',
        });
        expect(streamProblems(ev)).toEqual([]);
        succeeded.push(...ev.filter((e) => e.type === 'step.succeeded'));
      }
      expect(succeeded).toHaveLength(RUNS * 2);

      // Effects: once per dispatch id, in the directory of the worker that ran it.
      const [a, b] = workers as [RemoteWorkerProc, RemoteWorkerProc];
      const lines = [...effectsIn(a.dir), ...effectsIn(b.dir)];
      const dispatchIds = succeeded.map((e) => dataOf<{ dispatchId: string }>(e).dispatchId).sort();
      expect([...lines].sort()).toEqual(dispatchIds);
      expect(effectsIn(a.dir).length).toBeGreaterThan(0);
      expect(effectsIn(b.dir).length).toBeGreaterThan(0);
      expect(effectsIn((project as { dir: string }).dir)).toEqual([]);

      // Which worker ran each attempt, on which host, against what.
      const started = [...all.values()].flat().filter((e) => e.type === 'step.started');
      const commit = execFileSync('git', ['-C', a.dir, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
      for (const s of started) {
        const d = dataOf<{ worker: string; host?: string; env?: Record<string, string> }>(s);
        expect(['a', 'b']).toContain(d.worker);
        expect(d.host).toBeTruthy();
        expect(d.env?.workspace).toBe(d.worker === 'a' ? a.dir : b.dir);
        expect(d.env?.commit).toBe(d.worker === 'a' ? commit : 'none');
      }
      for (const line of effectsIn(a.dir)) {
        const s = started.find((e) => dataOf<{ dispatchId: string }>(e).dispatchId === line);
        expect(dataOf<{ worker: string }>(s).worker).toBe('a');
      }

      // Every artifact is in the engine's store, same hash, same provenance, the worker's bytes.
      let artifacts = 0;
      for (const e of succeeded) {
        const { dispatchId, artifacts: refs } = dataOf<{ dispatchId: string; artifacts: ArtifactRef[] }>(e);
        expect(refs.length).toBeGreaterThan(0);
        for (const ref of refs) {
          const got = await (storage as LilyStorage).artifacts.get(ref.sha256);
          expect(got?.ref).toEqual(ref);
          expect(new TextDecoder().decode(got?.bytes)).toBe(`made by ${dispatchId}\n`);
          artifacts++;
        }
      }
      expect(artifacts).toBe(RUNS * 2);
    }, 420_000);

    it('a worker SIGKILLed mid-step: its idempotent step is retried on the other worker', async () => {
      const runId = await submit('hang-idem');
      const first = await waitUntil('attempt 1 started', async () =>
        (await events(runId)).find((e) => e.type === 'step.started'),
      );
      const victimId = dataOf<{ worker: string }>(first).worker;
      const victim = workers.find((w) => w.id === victimId) as RemoteWorkerProc;
      const survivor = workers.find(
        (w) => w.id !== victimId && w.child.exitCode === null,
      ) as RemoteWorkerProc;
      await waitUntil('the step is running', () =>
        effectsIn(victim.dir).includes(`${runId}/s/1`) ? true : undefined,
      );
      await stopChild(victim.child, 'SIGKILL');
      const ev = await completed(runId, 90_000);
      expect(dataOf<{ status: string }>(ev.find((e) => e.type === 'run.completed'))).toMatchObject({
        status: 'succeeded',
      });
      expect(ev.some((e) => e.type === 'step.timed_out')).toBe(true);
      expect(
        ev.filter((e) => e.type === 'step.dispatched').map((e) => dataOf<{ attempt: number }>(e).attempt),
      ).toEqual([1, 2]);
      expect(
        ev.filter((e) => e.type === 'step.started').map((e) => dataOf<{ worker: string }>(e).worker),
      ).toEqual([victim.id, survivor.id]);
      expect(effectsIn(victim.dir).filter((l) => l.startsWith(runId))).toEqual([`${runId}/s/1`]);
      expect(effectsIn(survivor.dir).filter((l) => l.startsWith(runId))).toEqual([`${runId}/s/2`]);
      expect(streamProblems(ev)).toEqual([]);
      // The killed worker's machine gets a new worker, in the same directory.
      const index = victim.id === 'a' ? 1 : 2;
      await startWorker(index, `${victim.id}2`, victim.dir);
    }, 180_000);

    it('a worker SIGKILLed mid-step: its non-idempotent step becomes indeterminate, never run again', async () => {
      const runId = await submit('hang-nonidem');
      const first = await waitUntil('attempt 1 started', async () =>
        (await events(runId)).find((e) => e.type === 'step.started'),
      );
      const victim = workers.find(
        (w) => w.id === dataOf<{ worker: string }>(first).worker && w.child.exitCode === null,
      ) as RemoteWorkerProc;
      await waitUntil('the step is running', () =>
        effectsIn(victim.dir).includes(`${runId}/s/1`) ? true : undefined,
      );
      await stopChild(victim.child, 'SIGKILL');
      await waitUntil('timed out', async () =>
        (await events(runId)).some((e) => e.type === 'step.timed_out') ? true : undefined,
      );
      await sleep(2_000);
      const ev = await events(runId);
      expect(ev.filter((e) => e.type === 'step.dispatched')).toHaveLength(1);
      expect(ev.some((e) => e.type === 'run.completed')).toBe(false);
      const plan = dataOf<{ plan: Plan }>(ev.find((e) => e.type === 'run.started')).plan;
      expect(replay(createRunProgram(plan), ev).state.steps.s?.status).toBe('indeterminate');
      const workerDirs = [...new Set(workers.map((w) => w.dir))];
      const everywhere = workerDirs.flatMap(effectsIn).filter((l) => l.startsWith(runId));
      expect(everywhere).toEqual([`${runId}/s/1`]);
      (operator as Bus).publish(schedSubject('default'), {
        type: 'run.cancel',
        runId,
        by: 'operator',
        reason: 'effect unknown',
      });
      const done = await completed(runId, 60_000);
      expect(dataOf<{ status: string }>(done.find((e) => e.type === 'run.completed'))).toMatchObject({
        status: 'cancelled',
      });
    }, 180_000);
  },
);
