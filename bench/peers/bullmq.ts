/**
 * Peer: W3 on BullMQ 6 with Redis AOF `appendfsync always` (every write fsynced before Redis
 * answers), measured in the same `npm run bench -- --peers` as Lily's pipeline. The shape is
 * ../shared/peers/bench/bullmq.mjs, variant `chain`: step k is a job whose processor enqueues
 * step k+1 (deterministic job id) and returns `{i, step}`; the driver waits for the last job's
 * completion through QueueEvents (a Redis stream), as a remote client would. One Worker,
 * concurrency 64, in this process. Same parameters as the peers harness: N=2000 workflows with
 * 64 in flight (closed loop), 200 one at a time, 100 warm-up workflows discarded first.
 *
 * This bench starts its own redis-server (a free loopback port, a temp dir, AOF always from the
 * start, compiled-in `save` defaults as the harness) and stops it by pid.
 * Knobs: LILY_PEERS_N, LILY_PEERS_CONC, LILY_PEERS_LAT_N, LILY_PEERS_WARMUP.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeLoopbackPort } from '../../test/helpers/nats-server.js';
import { cpuSecondsOf } from '../proc-cpu.js';

export const name = 'peers';

const int = (key: string, dflt: number) => {
  const v = process.env[key];
  return v === undefined || v === '' ? dflt : Number.parseInt(v, 10);
};
const P = {
  N: int('LILY_PEERS_N', 2000),
  CONC: int('LILY_PEERS_CONC', 64),
  LAT_N: int('LILY_PEERS_LAT_N', 200),
  WARMUP: int('LILY_PEERS_WARMUP', 100),
  STEPS: 3,
};

const r1 = (x: number) => Math.round(x * 10) / 10;
const r2 = (x: number) => Math.round(x * 100) / 100;
const pct = (sorted: Float64Array, p: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
const latStats = (lat: number[]) => {
  const s = Float64Array.from(lat).sort();
  const mean = s.reduce((a, b) => a + b, 0) / (s.length || 1);
  return { p50Ms: r2(pct(s, 50)), p99Ms: r2(pct(s, 99)), meanMs: r2(mean), maxMs: r2(s[s.length - 1] ?? 0) };
};

/** Keeps up to `conc` calls of fn(i) in flight until n have completed (the harness's closedLoop). */
const closedLoop = async (n: number, conc: number, fn: (i: number) => Promise<void>, offset: number) => {
  const lat = new Array<number>(n);
  let next = 0;
  const t0 = performance.now();
  const lane = async () => {
    for (;;) {
      const k = next++;
      if (k >= n) return;
      const s = performance.now();
      await fn(offset + k);
      lat[k] = performance.now() - s;
    }
  };
  await Promise.all(Array.from({ length: Math.min(conc, n) }, lane));
  return { wallS: (performance.now() - t0) / 1000, lat };
};

export type Result = { i: number; step: number };

/** CPU seconds of this process (the BullMQ driver, its Worker and QueueEvents) and of redis-server. */
const cpuNow = (redisPid: number | undefined) => {
  const [node, redis] = cpuSecondsOf([redisPid]) as [number, number];
  return { node, redis };
};

/**
 * Warm-up, throughput (N, CONC in flight), latency (LAT_N one at a time): the harness's measureW3.
 * The throughput phase also reports the CPU it cost per workflow: this process (driver, Worker,
 * QueueEvents, in one Node process as the harness runs them) and redis-server, so the report can
 * set Lily's CPU per run beside it.
 */
const measureW3 = async (runOne: (i: number) => Promise<Result>, redisPid: number | undefined) => {
  let base = 0;
  const verify = async (i: number) => {
    const r = await runOne(i);
    if (!r || r.i !== i || r.step !== P.STEPS)
      throw new Error(`bad result for workflow ${i}: ${JSON.stringify(r)}`);
  };
  if (P.WARMUP > 0) {
    await closedLoop(P.WARMUP, Math.min(P.CONC, P.WARMUP), verify, base);
    base += P.WARMUP;
  }
  const cpu0 = cpuNow(redisPid);
  const tp = await closedLoop(P.N, P.CONC, verify, base);
  const cpu1 = cpuNow(redisPid);
  base += P.N;
  const lt = await closedLoop(P.LAT_N, 1, verify, base);
  const tl = latStats(tp.lat);
  return {
    throughput: {
      workflows: P.N,
      inFlight: P.CONC,
      wallS: r2(tp.wallS),
      workflowsPerSec: r1(P.N / tp.wallS),
      stepsPerSec: r1((P.N * P.STEPS) / tp.wallS),
      latencyP50Ms: tl.p50Ms,
      latencyP99Ms: tl.p99Ms,
      cpuMsPerWorkflow: {
        node: r2((1000 * (cpu1.node - cpu0.node)) / P.N),
        redis: r2((1000 * (cpu1.redis - cpu0.redis)) / P.N),
      },
    },
    latency: { workflows: P.LAT_N, inFlight: 1, ...latStats(lt.lat) },
  };
};

const startRedis = async (port: number, dir: string): Promise<ChildProcess> => {
  const child = spawn(
    'redis-server',
    [
      '--bind',
      '127.0.0.1',
      '--port',
      String(port),
      '--dir',
      dir,
      '--daemonize',
      'no',
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--logfile',
      join(dir, 'redis.log'),
    ],
    { stdio: 'ignore' },
  );
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('spawn', () => resolve());
  });
  return child;
};

const stopPid = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });

/**
 * BullMQ's W3 ready to run: its own redis-server (AOF always, checked), a queue, QueueEvents and
 * one Worker (concurrency CONC) in this process. `runOne(i)` runs workflow i and resolves with
 * the last step's result; `stop` closes them and removes redis-server and its directory. The
 * side-by-side peer bench starts it too.
 */
export const startBullmqW3 = async () => {
  const require = createRequire(import.meta.url);
  let bullmq: typeof import('bullmq');
  let IORedis: typeof import('ioredis').Redis;
  try {
    bullmq = await import('bullmq');
    IORedis = (await import('ioredis')).Redis;
  } catch {
    throw new Error('bullmq and ioredis are not installed: npm install -D bullmq@^6.7.0 ioredis@^6.0.0');
  }
  const { Queue, QueueEvents, Worker } = bullmq;
  const dir = mkdtempSync(join(tmpdir(), 'lily-bench-redis-'));
  const port = await freeLoopbackPort();
  const redis = await startRedis(port, dir);
  const connection = { host: '127.0.0.1', port, maxRetriesPerRequest: null };
  const admin = new IORedis({ ...connection, lazyConnect: true });
  admin.on('error', () => {}); // refused while redis-server starts: the loop below retries
  const closers: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const close of closers.reverse()) await close();
    admin.disconnect();
    await stopPid(redis);
    rmSync(dir, { recursive: true, force: true });
  };
  const info = async (section: string) =>
    Object.fromEntries(
      (await admin.info(section))
        .split('\r\n')
        .filter((l) => l.includes(':'))
        .map((l) => l.split(':', 2) as [string, string]),
    );
  try {
    for (let i = 0; ; i++) {
      try {
        if (admin.status !== 'ready') await admin.connect();
        await admin.ping();
        break;
      } catch (e) {
        if (i > 100) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    for (let i = 0; (await info('persistence')).aof_rewrite_in_progress !== '0'; i++) {
      if (i > 300) throw new Error('redis AOF did not settle');
      await new Promise((r) => setTimeout(r, 100));
    }
    const settings = {
      appendonly: (await admin.config('GET', 'appendonly'))[1],
      appendfsync: (await admin.config('GET', 'appendfsync'))[1],
      save: (await admin.config('GET', 'save'))[1],
    };
    if (settings.appendonly !== 'yes' || settings.appendfsync !== 'always')
      throw new Error(`redis is not AOF always: ${JSON.stringify(settings)}`);

    const qname = `w3chain-${Date.now().toString(36)}`;
    const q = new Queue(qname, { connection });
    closers.push(() => q.close());
    const qe = new QueueEvents(qname, { connection });
    closers.push(() => qe.close());
    await qe.waitUntilReady();
    const worker = new Worker(
      qname,
      async (job) => {
        const { wf, i, step } = job.data as { wf: string; i: number; step: number };
        if (step < P.STEPS) await q.add('step', { wf, i, step: step + 1 }, { jobId: `${wf}-s${step + 1}` });
        return { i, step };
      },
      { connection, concurrency: P.CONC },
    );
    closers.push(() => worker.close());
    await worker.waitUntilReady();
    const waiters = new Map<string, { resolve: (r: Result) => void; reject: (e: Error) => void }>();
    qe.on('completed', ({ jobId, returnvalue }) => {
      if (!jobId.endsWith(`-s${P.STEPS}`)) return;
      const w = waiters.get(jobId);
      if (!w) return;
      waiters.delete(jobId);
      w.resolve((typeof returnvalue === 'string' ? JSON.parse(returnvalue) : returnvalue) as Result);
    });
    qe.on('failed', ({ jobId, failedReason }) => {
      const w = waiters.get(jobId);
      if (!w) return;
      waiters.delete(jobId);
      w.reject(new Error(failedReason));
    });
    const runOne = async (i: number): Promise<Result> => {
      const wf = `wf${i}`;
      const done = new Promise<Result>((resolve, reject) =>
        waiters.set(`${wf}-s${P.STEPS}`, { resolve, reject }),
      );
      await q.add('step', { wf, i, step: 1 }, { jobId: `${wf}-s1` });
      return done;
    };
    const versions = async () => ({
      bullmq: (require('bullmq/package.json') as { version: string }).version,
      ioredis: (require('ioredis/package.json') as { version: string }).version,
      redis: (await info('server')).redis_version,
    });
    return { runOne, redisPid: redis.pid, settings, info, versions, stop };
  } catch (e) {
    await stop();
    throw e;
  }
};

export const run = async (): Promise<Record<string, unknown>> => {
  const bull = await startBullmqW3();
  try {
    const result = await measureW3(bull.runOne, bull.redisPid);
    return {
      params: P,
      'bullmq.chain.aof_always': result,
      versions: await bull.versions(),
      redis: bull.settings,
      aofBytes: (await bull.info('persistence')).aof_current_size,
    };
  } finally {
    await bull.stop();
  }
};
